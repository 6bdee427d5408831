"""Hostile strings in every free-text field: refused with a Chinese message, or stored and read back exactly."""
import datetime as dt

import pytest

from kiosk.policy import get_policy
from kiosk.record import Guardian, StudyEntry, example_record, validate_record
from kiosk.store import Store

TODAY = dt.date(2026, 11, 23)
POLICY = get_policy("henan-2024")

HOSTILE = {
    "control": "王\x00小明\x07",
    "newline": "河南省\n商丘市",
    "long": "王" * 10_000,
    "emoji": "王小明😀",
    "rtl": "王\u202e明",
    "zero_width": "王\u200b明",
    "sql": "'); DROP TABLE records; --",
    "sql_chinese": "商丘市'; DELETE FROM outbox WHERE '1'='1",
    "html": "<script>alert(1)</script>",
    "lone_surrogate": "王\ud800明",
}


def set_field(record, field, value):
    """Puts value into one free-text field of the record, wherever it lives."""
    if field.startswith("guardian."):
        g = record.guardians[0].model_copy(update={field.split(".")[1]: value})
        return record.model_copy(update={"guardians": [g, *record.guardians[1:]]})
    if field.startswith("study."):
        e = record.study_history[0].model_copy(update={field.split(".")[1]: value})
        return record.model_copy(update={"study_history": [e, *record.study_history[1:]]})
    return record.model_copy(update={field: value})


FIELDS = ["home_address", "school_name", "contact_phone", "student_number", "school_code", "guardian.name",
          "guardian.phone", "guardian.work_unit", "study.school", "study.role", "study.witness"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_refused_with_message_or_stored_exactly(tmp_path, field, kind):
    value = HOSTILE[kind]
    record = set_field(example_record(TODAY), field, value)
    errors = validate_record(record, POLICY, TODAY)
    if errors:
        assert all(isinstance(m, str) and m and not m.isascii() for m in errors.values())  # Chinese messages
        assert any(k.replace("[0]", "").replace("guardians", "guardian").replace("study_history", "study")
                   .startswith(field) for k in errors), (field, errors)
        return
    # Accepted: it must survive the store byte for byte.
    store = Store(tmp_path / "k.db")
    store.save(record)
    store.close()
    back = Store(tmp_path / "k.db").get(record.record_id)
    assert back == record


def test_acceptable_odd_text_is_kept_exactly(tmp_path):
    """SQL fragments and markup are ordinary text in an address: accepted and stored as typed."""
    record = example_record(TODAY).model_copy(update={"home_address": HOSTILE["sql"]})
    assert validate_record(record, POLICY, TODAY) == {}
    store = Store(tmp_path / "k.db")
    store.save(record)
    assert store.get(record.record_id).home_address == HOSTILE["sql"]
    assert store.record_ids() == [str(record.record_id)]


def test_model_refuses_wrong_types_without_crashing():
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        Guardian(name="王建国", relation="叔叔", phone="13803700001")
    with pytest.raises(ValidationError):
        StudyEntry(start=None, end="2026-11", school="x", witness="y")
