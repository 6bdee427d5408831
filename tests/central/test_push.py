"""Record push rules through the real HTTP API: idempotency, conflicts, locks, state progress, attachments."""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor


from central import models
from kiosk.record import RecordState, transition
from kiosk.wire import API, PushItem, PushRequest, PushResponse
from tests.support.central import valid_id


def push(kiosk, record, photo=None, document=None, status=200):
    body = PushRequest(items=[PushItem(record=record, photo=photo, document=document)]).model_dump_json()
    response = kiosk.client.post(f"{API}/records", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    result = PushResponse.model_validate_json(response.content).results[0]
    return result


def attachments(kiosk, record):
    return kiosk.store.attachment(record.record_id, "photo"), kiosk.store.attachment(record.record_id, "document")


def test_created_then_already_have(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    assert push(kiosk, record, *attachments(kiosk, record)).outcome == "created"
    assert push(kiosk, record, *attachments(kiosk, record)).outcome == "already_have"
    assert push(kiosk, record).outcome == "already_have"  # attachments already held: no need to resend
    assert server.count(models.Record) == 1 and server.count(models.RecordVersion) == 1
    photo = server.central.storage.get(record.photo_sha256)
    assert hashlib.sha256(photo).hexdigest() == record.photo_sha256


def test_state_progress_of_same_version_is_accepted(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record("submitted")
    assert push(kiosk, record, *attachments(kiosk, record)).outcome == "created"
    printed = kiosk.store.apply(record.record_id, "print", "student")
    assert push(kiosk, printed).outcome == "updated"
    assert push(kiosk, record).outcome == "already_have"  # an older state arriving late changes nothing
    signed = kiosk.store.apply(record.record_id, "sign", "operator:1")
    assert push(kiosk, signed).outcome == "updated"
    with server.session() as s:
        assert s.get(models.Record, str(record.record_id)).state == "signed"


def test_different_content_same_version_is_a_conflict(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    push(kiosk, record, *attachments(kiosk, record))
    other = record.model_copy(update={"contact_phone": "13900000000"})
    result = push(kiosk, other)
    assert result.outcome == "conflict" and result.conflict_id
    assert push(kiosk, other).conflict_id == result.conflict_id  # resent: same queue entry
    assert server.count(models.Conflict) == 1
    with server.session() as s:
        assert s.get(models.Record, str(record.record_id)).content_hash == record.content_hash()


def test_same_id_number_from_two_terminals_goes_to_conflict_queue(server, make_kiosk):
    a, b = make_kiosk(server), make_kiosk(server, role="point", school="P411403")
    first = a.new_record(id_number=valid_id(11))
    second = b.new_record(id_number=valid_id(11), category="return_hukou")
    assert push(a, first, *attachments(a, first)).outcome == "created"
    result = push(b, second, *attachments(b, second))
    assert result.outcome == "conflict"
    assert push(b, second).outcome == "conflict"  # a resend gets the same answer
    assert server.count(models.Record, id_number=server.central.data_keys.id_digest(valid_id(11))) == 2  # both kept
    assert server.count(models.Conflict, kind="id_number") == 1


def test_locked_record_cannot_be_overwritten(server, make_kiosk):
    kiosk = make_kiosk(server)
    signed = kiosk.new_record("signed")
    push(kiosk, signed, *attachments(kiosk, signed))
    newer = signed.model_copy(update={"version": 2, "state": RecordState.SUBMITTED, "contact_phone": "13900000000"})
    assert push(kiosk, newer).outcome == "conflict"
    with server.session() as s:
        held = s.get(models.Record, str(signed.record_id))
        assert (held.version, held.state) == (1, "signed")
    # after a correction request reaches the server, the approved new version is accepted
    requested, _ = transition(signed, "request_correction", "student", reason="电话号码有误")
    assert push(kiosk, requested).outcome == "updated"
    approved, _ = transition(requested, "approve_correction", "operator:2", approver="county")
    resubmitted, _ = transition(approved, "submit", "student")
    assert push(kiosk, resubmitted).outcome == "created"


def test_revise_makes_a_new_version(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record("printed")
    push(kiosk, record, *attachments(kiosk, record))
    revised = kiosk.store.apply(record.record_id, "revise", "operator:1", reason="改电话")  # printed: staff only
    assert revised.version == record.version + 1
    edited = revised.model_copy(update={"contact_phone": "13900000000"})
    kiosk.store.save(edited)
    submitted = kiosk.store.apply(record.record_id, "submit", "student")
    assert push(kiosk, submitted).outcome == "created"
    assert server.count(models.RecordVersion, record_id=str(record.record_id)) == 2


def test_attachment_rules(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    photo, document = attachments(kiosk, record)
    assert push(kiosk, record).outcome == "rejected"  # server lacks the JPEGs
    assert push(kiosk, record, photo=document, document=document).outcome == "rejected"  # wrong bytes
    assert server.count(models.Record) == 0
    assert push(kiosk, record, photo, document).outcome == "created"


def test_concurrent_duplicates_make_one_copy(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    photo, document = attachments(kiosk, record)
    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(lambda _: push(kiosk, record, photo, document).outcome, range(8)))
    assert outcomes == ["already_have"] * 7 + ["created"]
    assert server.count(models.Record) == 1 and server.count(models.Attachment) == 2
