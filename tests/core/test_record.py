import datetime as dt

import pytest

from kiosk.errors import KioskError
from kiosk.policy import get_policy
from kiosk.record import (Guardian, RecordState, StudyEntry, edit, example_record, hash_password, password_problem,
                          transition, validate_record, verify_password)

TODAY = dt.date(2026, 11, 23)
POLICY = get_policy("henan-2024")


def errors_of(**changes):
    record = example_record(TODAY).model_copy(update=changes)
    return validate_record(record, POLICY, TODAY)


def test_example_record_is_valid():
    assert errors_of() == {}


@pytest.mark.parametrize("phone, ok", [("13803700001", True), ("1380370000", False), ("23803700001", False),
                                       ("0370-3220957", False), ("１３８０３７００００１", False)])
def test_contact_phone_must_be_a_mobile(phone, ok):
    assert ("contact_phone" not in errors_of(contact_phone=phone)) is ok


def test_guardian_phone_may_be_a_landline_and_names_are_checked():
    record = example_record(TODAY)
    guardians = [Guardian(name="王建国", relation="父亲", phone="0370-3220957"),
                 Guardian(name="Robert Smith", relation="母亲", phone="13903700002")]
    assert validate_record(record.model_copy(update={"guardians": guardians}), POLICY, TODAY) == {}
    bad = [Guardian(name="王建国1", relation="父亲", phone="123")]
    errors = validate_record(record.model_copy(update={"guardians": bad}), POLICY, TODAY)
    assert "汉字" in errors["guardians[0].name"] and "手机号码" in errors["guardians[0].phone"]
    two_fathers = [Guardian(name="王建国", relation="父亲", phone="13803700001")] * 2
    assert "只能填写一位" in validate_record(record.model_copy(update={"guardians": two_fathers}),
                                             POLICY, TODAY)["guardians"]
    assert "至少" in errors_of(guardians=[])["guardians"]


def history(*spans):
    return [StudyEntry(start=s, end=e, school="商丘市第一初级中学", witness="赵老师") for s, e in spans]


def test_study_history_rules():
    assert errors_of(study_history=history(("2024-09", "2026-11"), ("2018-09", "2024-08"))) == {}
    overlap = errors_of(study_history=history(("2024-09", "2026-11"), ("2018-09", "2024-10")))
    assert "重叠" in overlap["study_history[1].end"]
    gap = errors_of(study_history=history(("2024-09", "2026-11"), ("2018-09", "2024-06")))
    assert "空档" in gap["study_history[1].end"]
    stale = errors_of(study_history=history(("2024-09", "2026-10")))
    assert "本月" in stale["study_history[0].end"]
    backwards = errors_of(study_history=history(("2026-11", "2024-09")))
    assert "不能早于" in backwards["study_history[0].end"]
    assert "YYYY-MM" in errors_of(study_history=history(("2024-13", "2026-11")))["study_history[0].start"]
    assert "学习简历" in errors_of(study_history=[])["study_history"]
    months = [(f"{2026 - i}-09", f"{2027 - i}-08" if i else "2026-11") for i in range(8)]
    assert "最多填写7段" in errors_of(study_history=history(*months))["study_history"]
    assert errors_of(study_history=history(*months[:7])) == {}


def test_roster_categories_need_school_and_student_number():
    errors = errors_of(school_code="", student_number="g4114")
    assert "school_code" in errors and "student_number" in errors


def test_claims_follow_the_policy():
    assert errors_of(claims=["allocation", "makeup_bio_geo"]) == {}
    grade8 = errors_of(category="grade8", claims=["allocation"])
    assert "不能申报" in grade8["claims"]
    shangqiu = example_record(TODAY).model_copy(update={"policy": "shangqiu-2023", "category": "return_hukou"})
    errors = validate_record(shangqiu, get_policy("shangqiu-2023"), TODAY)
    assert errors["claims"] == "回户籍所在地参加中招考试的考生不享有优质普通高中分配生资格"


def test_missing_photo_document_password():
    errors = errors_of(photo_sha256="", document_sha256="", password_hash="")
    assert set(errors) == {"photo", "document", "password"}


def test_lifecycle_allowed_and_refused_transitions():
    record = example_record(TODAY)
    with pytest.raises(KioskError, match="不能执行"):
        transition(record, "sign", "operator:7")
    record, entry = transition(record, "submit", "student")
    assert (entry.from_state, entry.to_state, record.state) == ("draft", "submitted", RecordState.SUBMITTED)
    record, _ = transition(record, "print", "system")
    record, entry = transition(record, "print", "system", printer="Front")
    assert record.print_count == 2 and entry.details == {"printer": "Front", "print_count": 2}
    record, _ = transition(record, "sign", "operator:7")
    assert record.locked
    with pytest.raises(KioskError, match="不能修改"):
        edit(record, contact_phone="13900000000")
    with pytest.raises(KioskError, match="更正原因"):
        transition(record, "request_correction", "operator:7", reason=" ")
    record, _ = transition(record, "request_correction", "operator:7", reason="监护人电话填写错误")
    with pytest.raises(KioskError, match="审核人"):
        transition(record, "approve_correction", "operator:9")
    reopened, entry = transition(record, "approve_correction", "operator:9", approver="county:411403")
    assert reopened.state is RecordState.DRAFT and reopened.version == record.version + 1
    rejected, _ = transition(record, "reject_correction", "operator:9")
    assert rejected.state is RecordState.SIGNED and rejected.version == record.version


def test_identity_can_never_be_edited():
    record = example_record(TODAY)
    with pytest.raises(KioskError, match="不能修改"):
        edit(record, identity={**record.identity, "name": "李四"})
    changed = edit(record, contact_phone="13900000000")
    assert changed.contact_phone == "13900000000" and changed.identity == record.identity


def test_content_hash_tracks_declared_content_only():
    record = example_record(TODAY)
    printed, _ = transition(transition(record, "submit", "student")[0], "print", "system")
    assert printed.content_hash() == record.content_hash()
    assert edit(record, home_address="河南省商丘市梁园区").content_hash() != record.content_hash()


def test_password_rules_and_hash():
    assert password_problem("abc123") == "密码长度应为8至20位"
    assert "字母和数字" in password_problem("abcdefgh")
    assert "身份证" in password_problem("xx15003Xab1", id_number="41140320090315003X")
    assert "出生日期" in password_problem("a20090315", birth_date="2009-03-15")
    assert "简单" in password_problem("a1a1a1a1")
    assert password_problem("Henan2024ok") is None
    stored = hash_password("Henan2024ok")
    assert "Henan2024ok" not in stored
    assert verify_password("Henan2024ok", stored) and not verify_password("Henan2024oK", stored)
    assert not verify_password("x", "garbage")


def test_the_identity_is_typed_once_and_keeps_the_chips_json():
    """Record.identity is the typed Identity, validated when the record is built or loaded (a broken one is refused
    there, not at some later access); its JSON is the chip's, so the wire and the content hash are unchanged."""
    from pydantic import ValidationError

    from kiosk.record import Record, example_card
    from kiosk.record.model import Identity

    record = example_record(TODAY)
    loaded = Record.model_validate_json(record.model_dump_json())
    assert isinstance(loaded.identity, Identity) and loaded.identity == record.identity
    assert loaded.card == example_card() and loaded.id_number == example_card().id_number
    assert loaded.model_dump(mode="json")["identity"] == example_card().as_json()
    assert loaded.content_hash() == record.content_hash()
    broken = record.model_dump(mode="json")
    del broken["identity"]["id_number"]
    with pytest.raises(ValidationError, match="id_number"):
        Record.model_validate(broken)
