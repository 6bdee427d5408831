import datetime as dt
import hashlib
import io
import logging
import os
import sqlite3
import stat

import pytest

from kiosk.errors import KioskError
from kiosk.logs import configure_logging
from kiosk.record import example_record
from kiosk.store import DeviceKey, Store
from kiosk.store.schema import MIGRATIONS

TODAY = dt.date(2026, 11, 23)
PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(20_000)
DOCUMENT = b"\xff\xd8\xff\xe0" + os.urandom(40_000)


def complete_record():
    return example_record(TODAY, photo_sha256=hashlib.sha256(PHOTO).hexdigest(),
                          document_sha256=hashlib.sha256(DOCUMENT).hexdigest())


def all_bytes(path):
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if not p.name.endswith(".key"))


def test_round_trip_with_attachments(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record, photo=PHOTO, document=DOCUMENT)
    assert store.get(record.record_id) == record
    assert store.attachment(record.record_id, "photo") == PHOTO
    assert store.attachment(record.record_id, "document") == DOCUMENT
    assert [r.record_id for r in store.find_by_id_number("41140320090315003X")] == [record.record_id]
    assert store.find_by_id_number("110105194912310021") == []


def test_database_holds_no_plaintext_personal_data(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record, photo=PHOTO, document=DOCUMENT)
    store.apply(record.record_id, "submit", "student")
    store.close()
    raw = all_bytes(tmp_path / "k.db")
    for secret in ("41140320090315003X", "王小明", "王建国", "13803700001", "文化路88号"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding)
    assert PHOTO[4:64] not in raw


def test_key_file_is_private_and_required(tmp_path):
    Store(tmp_path / "k.db").close()
    key = tmp_path / "k.db.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    key.chmod(0o644)
    with pytest.raises(KioskError, match="权限不安全"):
        Store(tmp_path / "k.db")


def test_wrong_key_cannot_read(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record)
    store.close()
    other = Store(tmp_path / "k.db", key=DeviceKey(os.urandom(32)))
    with pytest.raises(KioskError, match="无法解密"):
        other.get(record.record_id)


def test_attachment_must_match_record_hash(tmp_path):
    store = Store(tmp_path / "k.db")
    with pytest.raises(KioskError, match="附件与记录不一致"):
        store.save(complete_record(), photo=PHOTO + b"x")
    assert store.record_ids() == []  # nothing half-written


def test_lifecycle_is_audited_and_locked(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record, photo=PHOTO, document=DOCUMENT)
    for action, actor in (("submit", "student"), ("print", "system"), ("print", "system"), ("sign", "operator:7")):
        store.apply(record.record_id, action, actor)
    signed = store.get(record.record_id)
    assert signed.locked and signed.print_count == 2
    with pytest.raises(KioskError, match="已签字确认"):
        store.save(signed.model_copy(update={"contact_phone": "13900000000"}))
    assert store.get(record.record_id).contact_phone == record.contact_phone
    store.apply(record.record_id, "request_correction", "operator:7", reason="电话错误")
    reopened = store.apply(record.record_id, "approve_correction", "county:1", approver="county:411403")
    assert reopened.version == 2
    assert store.get_version(record.record_id, 1).state.value == "correction_requested"
    actions = [e.action for e in store.audit_entries(record.record_id)]
    assert actions == ["submit", "print", "print", "sign", "request_correction", "approve_correction"]
    assert store.audit_entries()[4].details == {"reason": "电话错误"}
    assert store.verify_audit_chain()


def test_audit_log_is_append_only_and_tamper_evident(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record)
    store.apply(record.record_id, "submit", "student")
    store.close()
    db = sqlite3.connect(tmp_path / "k.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET actor='someone'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")
    db.execute("DROP TRIGGER audit_log_no_update")  # an attacker with the file can drop triggers...
    db.execute("UPDATE audit_log SET actor='someone'")
    db.commit()
    db.close()
    assert not Store(tmp_path / "k.db").verify_audit_chain()  # ...but the hash chain shows it


def test_outbox_follows_state_changes(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record)
    assert store.outbox_depth() == 0  # drafts are not sent
    store.apply(record.record_id, "submit", "student")
    store.apply(record.record_id, "print", "system")
    store.apply(record.record_id, "print", "system")  # a reprint: same (id, version, state), one entry
    due = store.outbox_due()
    assert [(i.version, i.state) for i in due] == [(1, "submitted"), (1, "printed")]
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    store.outbox_retry(due[0].seq, "connection refused", later)
    assert [i.state for i in store.outbox_due()] == ["printed"]
    assert store.outbox_next_attempt() is not None
    store.outbox_done(due[1].seq, str(record.record_id), 1)
    assert store.outbox_depth() == 1 and store.outbox_due(later)[0].attempts == 1


def test_purge_only_confirmed_signed_records_after_retention(tmp_path):
    store = Store(tmp_path / "k.db")
    record = complete_record()
    store.save(record, photo=PHOTO, document=DOCUMENT)
    for action in ("submit", "print", "sign"):
        store.apply(record.record_id, action, "operator:1")
    draft = example_record(TODAY).model_copy(update={"record_id": __import__("uuid").uuid4()})
    store.save(draft)
    now = dt.datetime.now(dt.timezone.utc)
    assert store.purge_confirmed(dt.timedelta(days=30), now + dt.timedelta(days=60)) == 0  # outbox not drained
    for item in store.outbox_due():
        store.outbox_done(item.seq, item.record_id, item.version, now)
    assert store.purge_confirmed(dt.timedelta(days=30), now + dt.timedelta(days=29)) == 0  # too early
    assert store.purge_confirmed(dt.timedelta(days=30), now + dt.timedelta(days=31)) == 1
    assert store.record_ids() == [str(draft.record_id)]
    with pytest.raises(KioskError):
        store.attachment(record.record_id, "photo")
    assert store.audit_entries(record.record_id)  # the audit trail outlives the record (it holds no personal data)


def test_schema_migrations(tmp_path):
    store = Store(tmp_path / "k.db")
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    assert Store(tmp_path / "k.db").schema_version == len(MIGRATIONS)  # reopening runs nothing twice
    db = sqlite3.connect(tmp_path / "k.db")
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(KioskError, match="升级终端软件"):
        Store(tmp_path / "k.db")
    assert sqlite3.connect(tmp_path / "k.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_personal_data_in_logs(tmp_path):
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    try:
        store = Store(tmp_path / "k.db")
        record = complete_record()
        store.save(record, photo=PHOTO, document=DOCUMENT)
        for action in ("submit", "print", "sign"):
            store.apply(record.record_id, action, "operator:1")
        log = logging.getLogger("test")
        # Careless code paths too: the filter masks what slips through.
        log.warning("saved %s for %s phone %s", record.id_number, record.name, record.contact_phone)
        log.info("guardian", extra={"fields": {"who": record.guardians[0].name, "id": record.id_number}})
        try:
            raise ValueError(f"bad record {record.id_number} {record.name}")
        except ValueError:
            log.exception("failure")
    finally:
        configure_logging("WARNING")
    text = stream.getvalue()
    assert "record saved" in text and "41140320090315003X" not in text
    assert text.count("4114**********003X") >= 3
    for secret in ("王小明", "王建国", "13803700001", "13903700002"):
        assert secret not in text
