import datetime as dt

import pytest
from stdnum.cn import ric

from kiosk.identity import (CardType, IdentityCard, check_id_number, ethnicity_name, gender_name, mask_id,
                            mask_name, mask_phone, mask_text)
from kiosk.record import example_card

TODAY = dt.date(2026, 11, 23)


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_valid_number_gives_birth_gender_region():
    result = check_id_number("41140320090315003X", TODAY)
    assert result.valid and result.errors == []
    assert result.birth_date == dt.date(2009, 3, 15)
    assert result.gender == "男"  # sequence 003: odd
    assert result.region == "河南省睢阳区"
    assert result.as_json()["birth_date"] == "2009-03-15"


def test_lowercase_x_and_spaces_are_compacted():
    assert check_id_number(" 41140320090315003x ", TODAY).valid


@pytest.mark.parametrize("number, message", [
    ("41140320090315003", "18位"),
    ("4114032009031500XX", "格式不正确"),
    ("41140320090315003A", "格式不正确"),
    ("411403200903150031", "校验位"),
    (with_check_digit("41140320090231003"), "出生日期无效"),
    (with_check_digit("41140320300101003"), "晚于今天"),
])
def test_invalid_numbers_say_why_in_chinese(number, message):
    result = check_id_number(number, TODAY)
    assert not result.valid
    assert any(message in e for e in result.errors), result.errors


def test_region_is_advisory_for_codes_retired_or_not_yet_valid():
    # 411403 (睢阳区) exists since 1997: a 1990 birth makes stdnum's strict check fail, ours stays valid
    number = with_check_digit("41140319900101002")
    assert not ric.is_valid(number)
    result = check_id_number(number, TODAY)
    assert result.valid and result.region == "河南省睢阳区" and not result.region_current
    assert result.gender == "女"


def test_unknown_region_still_valid_with_no_region():
    result = check_id_number(with_check_digit("99999920090101001"), TODAY)
    assert result.valid and result.region is None


def test_code_tables():
    assert gender_name("1") == "男" and gender_name("2") == "女" and gender_name("9") == "未说明"
    assert ethnicity_name("01") == "汉族" and ethnicity_name("3") == "回族" and ethnicity_name("56") == "基诺族"
    assert ethnicity_name("97") == "其他" and ethnicity_name("98") == "外国血统中国籍人士"
    assert ethnicity_name("57") == ""


def test_cross_checks_against_number_and_calendar():
    card = example_card()
    assert card.problems(TODAY) == []
    assert any("性别" in p for p in
               IdentityCard(**{**card.__dict__, "gender_code": "2"}).problems(TODAY))
    assert any("出生日期" in p for p in
               IdentityCard(**{**card.__dict__, "birth_date": dt.date(2009, 3, 16)}).problems(TODAY))
    expired = IdentityCard(**{**card.__dict__, "valid_until": dt.date(2026, 11, 22)})
    assert any("过期" in p for p in expired.problems(TODAY))
    long_term = IdentityCard(**{**card.__dict__, "valid_until": None})
    assert long_term.problems(dt.date(2090, 1, 1)) == []
    assert long_term.as_json()["valid_until"] == "长期"


def test_permit_and_foreign_card_rules():
    card = example_card()
    permit = IdentityCard(**{**card.__dict__, "card_type": CardType.HK_MO_TW_PERMIT})
    assert any("81、82或83" in p for p in permit.problems(TODAY))
    foreign = IdentityCard(card_type=CardType.FOREIGN_2017, name="", english_name="SMITH, JOHN", gender_code="1",
                           birth_date=dt.date(2009, 1, 1), id_number="USA110009010101",
                           valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2030, 1, 1), nationality="USA")
    assert foreign.problems(TODAY) == []  # the 2017 card number has no check digit rule


def test_json_round_trip_keeps_every_field():
    card = IdentityCard(**{**example_card().__dict__, "valid_until": None, "photo_wlt": b"WLf\x00" * 256})
    data = card.as_json()
    assert data["has_photo"] and data["valid_until"] == "长期" and data["gender"] == "男"
    back = IdentityCard.from_json({**data, "photo_wlt": card.photo_wlt.hex()})
    assert back == card


def test_masking():
    assert mask_id("41140320090315003X") == "4114**********003X"
    assert mask_name("王小明") == "王**" and mask_name("") == ""
    assert mask_phone("13803700001") == "138****0001"
    text = mask_text("id=41140320090315003X phone 13803700001 order 12345")
    assert "41140320090315003X" not in text and "13803700001" not in text and "12345" in text
