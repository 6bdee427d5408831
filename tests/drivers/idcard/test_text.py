"""The 256-byte text block: every layout decodes the bytes a chip holds; the fixture encoder is exact."""
import datetime as dt
import json

import pytest

from drivers.idcard import text
from drivers.idcard.simulator import SimCard
from kiosk.devices.card_reader import CardReadFailed
from kiosk.identity import CardType


def utf16(value: str, size: int) -> bytes:
    return value.ljust(size // 2).encode("utf-16-le")


def test_resident_block_built_by_hand_decodes():
    block = (utf16("张三", 30) + utf16("2", 2) + utf16("03", 4) + utf16("20100708", 16)
             + utf16("河南省商丘市夏邑县", 70) + utf16("411426201007080424", 36) + utf16("夏邑县公安局", 30)
             + utf16("20200101", 16) + utf16("长期", 16) + utf16("", 36))
    assert len(block) == 256
    card = text.decode(block)
    assert card.card_type is CardType.RESIDENT
    assert (card.name, card.gender, card.ethnicity, card.address) == ("张三", "女", "回族", "河南省商丘市夏邑县")
    assert card.birth_date == dt.date(2010, 7, 8) and card.valid_until is None
    assert card.as_json()["valid_until"] == "长期"
    assert text.encode(card) == block


def test_nul_type_character_is_a_resident_card(resident):
    block = bytearray(text.encode(resident.identity))
    block[248:250] = b"\0\0"
    assert text.decode(bytes(block)).card_type is CardType.RESIDENT


def test_every_fixture_round_trips_and_is_consistent(card_file):
    card = SimCard.load(card_file).identity
    block = text.encode(card)
    assert len(block) == 256
    assert text.decode(block, card.photo_wlt) == card
    assert card.problems(dt.date(2026, 3, 1)) == []
    expected_type = json.loads(card_file.read_text(encoding="utf-8"))["card_type"]
    assert card.card_type.value == expected_type


def test_layout_fields_sit_at_their_offsets():
    permit = SimCard.load("tests/drivers/idcard/fixtures/hk_mo_tw_permit.json").identity
    block = text.encode(permit)
    assert block[220:238].decode("utf-16-le") == "H12345678"
    assert block[248:250] == b"J\0"
    foreign = SimCard.load("tests/drivers/idcard/fixtures/foreign_2017.json").identity
    block = text.encode(foreign)
    assert block[122:152].decode("utf-16-le") == "USA410009031512"
    assert block[220:236].decode("utf-16-le") == "20090315" and block[248:250] == b"I\0"


def test_2023_english_name_spans_two_fields():
    card = SimCard.load("tests/drivers/idcard/fixtures/foreign_2023.json").identity
    block = text.encode(card)
    assert block[52:122].decode("utf-16-le") == card.english_name[:35]
    assert block[220:242].decode("utf-16-le").rstrip() == card.english_name[35:]
    assert text.decode(block).english_name == "ANDERSON-WILLIAMS, ANNA KATHARINA ELIZABETH"
    assert block[248:250] == b"Y\0" and block[242:248].decode("utf-16-le") == "USA"


@pytest.mark.parametrize("offset, value, reason", [
    (248, "Q", "unknown card type"),
    (36, "2009-3-1", "bad date"),
    (204, "永久有效", "bad date"),
])
def test_broken_blocks_are_card_read_failures(resident, offset, value, reason):
    block = bytearray(text.encode(resident.identity))
    data = value.encode("utf-16-le")
    block[offset : offset + len(data)] = data
    with pytest.raises(CardReadFailed):
        text.decode(bytes(block))


def test_wrong_size_and_odd_surrogates_fail_cleanly(resident):
    with pytest.raises(CardReadFailed):
        text.decode(bytes(255))
    block = bytearray(text.encode(resident.identity))
    block[0:2] = b"\x00\xd8"  # a lone high surrogate
    with pytest.raises(CardReadFailed):
        text.decode(bytes(block))


def test_encoder_refuses_fields_that_do_not_fit(resident):
    too_long = resident.identity.__class__(**{**resident.identity.__dict__, "name": "名" * 16})
    with pytest.raises(ValueError):
        text.encode(too_long)
