"""Record push: the idempotency and conflict rules, applied per item inside one database transaction.

- same id + version + content hash: "already_have" (a resend after a lost reply creates nothing);
  a later lifecycle state of that same version and content (printed, signed, a reprint) is "updated";
- same id + version, different content: "conflict" (queued for operators, the held copy is untouched);
- a newer version of a signed (locked) record: "conflict" (locked); after a correction request it is accepted;
- another record with the same ID number: the new record is kept as its own row and a conflict is queued;
  nothing is ever merged.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kiosk.record import Record as WireRecord
from kiosk.sync.wire import MAX_ATTACHMENT_BYTES, PushItem, PushResult, is_progress, push_problem

from .models import Attachment, Conflict, Record, RecordVersion, Terminal, utcnow
from .storage import AttachmentStorage


def _attachments(item: PushItem) -> list[tuple[str, bytes | None, str]]:
    return [("photo", item.photo, item.record.photo_sha256), ("document", item.document, item.record.document_sha256)]


def store_attachments(item: PushItem, storage: AttachmentStorage) -> str:
    """Checks and stores the item's JPEGs before the transaction; returns a rejection reason or ''."""
    problem = push_problem(item.record)
    if problem:
        return problem
    for kind, data, sha in _attachments(item):
        if data is None:
            continue
        if len(data) > MAX_ATTACHMENT_BYTES:
            return f"{kind} larger than {MAX_ATTACHMENT_BYTES} bytes"
        if hashlib.sha256(data).hexdigest() != sha:
            return f"{kind} bytes do not match {kind}_sha256"
        storage.put(sha, data)
    return ""


def ingest(session: Session, terminal: Terminal, item: PushItem) -> PushResult:
    record = item.record.model_copy(update={"terminal_id": terminal.terminal_id})
    rid, digest = str(record.record_id), record.content_hash()

    def result(outcome: str, reason: str = "", conflict: Conflict | None = None) -> PushResult:
        return PushResult(record_id=rid, version=record.version, outcome=outcome, reason=reason,
                          conflict_id=conflict.conflict_id if conflict else None)

    def queue(kind: str, reason: str, other: str | None = None) -> PushResult:
        return result("conflict", reason, _queue_conflict(session, kind, record, digest, terminal, other))

    problem = push_problem(record)
    if problem:
        return result("rejected", problem)
    for kind, data, sha in _attachments(item):
        if sha and session.get(Attachment, sha) is None:
            if data is None:
                return result("rejected", f"{kind} missing: send it with the record")
            session.add(Attachment(sha256=sha, size=len(data)))
            session.flush()
    _lock_identity(session, record.id_number)
    held = session.get(Record, rid, with_for_update=True)
    if held is None:
        other = session.scalar(select(Record.record_id).where(Record.id_number == record.id_number,
                                                              Record.record_id != rid).limit(1))
        _store(session, None, record, digest)
        if other:
            return queue("id_number", "another record holds this ID number", other)
        return result("created")
    if held.terminal_id != terminal.terminal_id:
        return queue("terminal", "record belongs to another terminal", rid)
    if record.version < held.version:
        old = session.get(RecordVersion, (rid, record.version))
        if old is None:
            session.add(_version_row(record, digest))
            return result("created", "older version kept as history")
        return _same_version(session, old.content_hash, WireRecord.model_validate_json(old.payload), record, digest,
                             queue, result, old)
    if record.version == held.version:
        return _same_version(session, held.content_hash, WireRecord.model_validate_json(held.payload), record,
                             digest, queue, result, held)
    if held.state == "signed":
        return queue("locked", "held version is signed (locked); a correction request must come first")
    _store(session, held, record, digest)
    return result("created")


def _same_version(session, held_hash, held_record, record, digest, queue, result, row) -> PushResult:
    if held_hash != digest:
        return queue("content", "different content for the same version")
    if is_progress(held_record, record):
        if isinstance(row, Record):
            _store(session, row, record, digest)
        else:
            row.state, row.payload = record.state.value, record.model_dump_json()
        return result("updated")
    existing = session.scalar(select(Conflict).where(Conflict.record_id == str(record.record_id),
                                                     Conflict.version == record.version,
                                                     Conflict.content_hash == digest))
    if existing is not None:
        return result("conflict", f"{existing.kind} conflict queued", existing)
    return result("already_have")


def _store(session: Session, held: Record | None, record: WireRecord, digest: str) -> None:
    payload = record.model_dump_json()
    if held is None:
        held = Record(record_id=str(record.record_id), terminal_id=record.terminal_id, id_number=record.id_number,
                      received_at=utcnow())
        session.add(held)
    held.version, held.state, held.content_hash = record.version, record.state.value, digest
    held.school_code, held.payload, held.updated_at = record.school_code, payload, utcnow()
    row = session.get(RecordVersion, (str(record.record_id), record.version))
    if row is None:
        session.add(_version_row(record, digest))
    else:
        row.state, row.payload = record.state.value, payload


def _version_row(record: WireRecord, digest: str) -> RecordVersion:
    return RecordVersion(record_id=str(record.record_id), version=record.version, state=record.state.value,
                         content_hash=digest, payload=record.model_dump_json())


def _queue_conflict(session: Session, kind: str, record: WireRecord, digest: str, terminal: Terminal,
                    other: str | None) -> Conflict:
    rid = str(record.record_id)
    existing = session.scalar(select(Conflict).where(Conflict.kind == kind, Conflict.record_id == rid,
                                                     Conflict.version == record.version,
                                                     Conflict.content_hash == digest))
    if existing is not None:
        return existing
    conflict = Conflict(kind=kind, record_id=rid, version=record.version, content_hash=digest,
                        other_record_id=other, terminal_id=terminal.terminal_id, payload=record.model_dump_json(),
                        status="open")
    session.add(conflict)
    session.flush()
    return conflict


def _lock_identity(session: Session, id_number: str) -> None:
    """Serialises pushes of one ID number on PostgreSQL (SQLite writes are serialised by the app already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": id_number})
