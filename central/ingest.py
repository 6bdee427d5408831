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

from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.record import Record as WireRecord
from kiosk.sync.wire import MAX_ATTACHMENT_BYTES, PushItem, PushResult, is_progress, push_problem

from .models import Attachment, Conflict, Record, RecordVersion, utcnow
from .storage import AttachmentStorage

# Core tables: the hot path skips the ORM's per-statement work
RECORDS, VERSIONS, ATTACHMENTS = Record.__table__, RecordVersion.__table__, Attachment.__table__


def _attachments(item: PushItem) -> list[tuple[str, bytes | None, str]]:
    return [("photo", item.photo, item.record.photo_sha256), ("document", item.document, item.record.document_sha256)]


def store_attachments(item: PushItem, *, storage: AttachmentStorage) -> str:
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


def ingest(session: Session, terminal_id: str, item: PushItem) -> PushResult:
    """Applies the rules to one pushed item. Core statements, not ORM objects: this is the server's hot path."""
    record = item.record.model_copy(update={"terminal_id": terminal_id})
    rid, digest = str(record.record_id), record.content_hash()

    def result(outcome: str, reason: str = "", conflict_id: int | None = None) -> PushResult:
        return PushResult(record_id=rid, version=record.version, outcome=outcome, reason=reason,
                          conflict_id=conflict_id)

    def queue(kind: str, reason: str, other: str | None = None) -> PushResult:
        return result("conflict", reason, _queue_conflict(session, kind, record, digest, terminal_id, other))

    db = session.connection()  # Core on the session's connection: the hot path skips ORM execution
    problem = push_problem(record) or _missing_attachments(db, item)
    if problem:
        return result("rejected", problem)
    _lock_identity(session, record.id_number)
    held = db.execute(select(RECORDS.c.version, RECORDS.c.state, RECORDS.c.content_hash, RECORDS.c.terminal_id,
                                  RECORDS.c.payload).where(RECORDS.c.record_id == rid).with_for_update()).first()
    if held is None:
        other = db.scalar(select(RECORDS.c.record_id).where(RECORDS.c.id_number == record.id_number,
                                                                 RECORDS.c.record_id != rid).limit(1))
        _store(db, record, digest, new_record=True, new_version=True)
        return queue("id_number", "another record holds this ID number", other) if other else result("created")
    if held.terminal_id != terminal_id:
        return queue("terminal", "record belongs to another terminal", rid)
    if record.version < held.version:
        old = db.execute(select(VERSIONS.c.content_hash, VERSIONS.c.payload).where(
            VERSIONS.c.record_id == rid, VERSIONS.c.version == record.version)).first()
        if old is None:
            db.execute(insert(VERSIONS), _version_values(record, digest))
            return result("created", "older version kept as history")
        return _same_version(db, old, record, digest, queue, result, current=False)
    if record.version == held.version:
        return _same_version(db, held, record, digest, queue, result, current=True)
    if held.state == "signed":
        return queue("locked", "held version is signed (locked); a correction request must come first")
    _store(db, record, digest, new_record=False, new_version=True)
    return result("created")


def _missing_attachments(db: Connection, item: PushItem) -> str:
    """Registers the JPEGs that came with the item; names one the record needs that the server does not hold."""
    sent = [{"sha256": sha, "size": len(data), "stored_at": utcnow()} for _, data, sha in _attachments(item)
            if sha and data is not None]
    if sent:
        db.execute(_insert_ignore(db, ATTACHMENTS), sent)
    for kind, data, sha in _attachments(item):
        if sha and data is None and db.scalar(select(ATTACHMENTS.c.size).where(ATTACHMENTS.c.sha256 == sha)) is None:
            return f"{kind} missing: send it with the record"
    return ""


def _same_version(db: Connection, held, record, digest, queue, result, current: bool) -> PushResult:
    if held.content_hash != digest:
        return queue("content", "different content for the same version")
    if is_progress(WireRecord.model_validate_json(held.payload), record):
        _store(db, record, digest, new_record=False, new_version=False, current=current)
        return result("updated")
    conflicts = Conflict.__table__.c
    existing = db.execute(select(conflicts.conflict_id, conflicts.kind).where(
        conflicts.record_id == str(record.record_id), conflicts.version == record.version,
        conflicts.content_hash == digest)).first()
    if existing is not None:
        return result("conflict", f"{existing.kind} conflict queued", existing.conflict_id)
    return result("already_have")


def _store(db: Connection, record: WireRecord, digest: str, *, new_record: bool, new_version: bool,
           current: bool = True) -> None:
    rid, now, version = str(record.record_id), utcnow(), _version_values(record, digest)
    if new_version:
        db.execute(insert(VERSIONS), version)
    else:
        db.execute(update(VERSIONS).where(VERSIONS.c.record_id == rid, VERSIONS.c.version == record.version)
                   .values(state=version["state"], payload=version["payload"]))
    if not current:
        return
    values = dict(version=record.version, state=record.state.value, content_hash=digest,
                  school_code=record.school_code, payload=version["payload"], updated_at=now)
    if new_record:
        db.execute(insert(RECORDS), dict(record_id=rid, terminal_id=record.terminal_id, id_number=record.id_number,
                                         received_at=now, **values))
    else:
        db.execute(update(RECORDS).where(RECORDS.c.record_id == rid).values(**values))


def _version_values(record: WireRecord, digest: str) -> dict:
    return dict(record_id=str(record.record_id), version=record.version, state=record.state.value,
                content_hash=digest, payload=record.model_dump_json(), received_at=utcnow())


def _insert_ignore(db: Connection, table):
    dialect = db.dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}[dialect]
    return module.insert(table).on_conflict_do_nothing()


def _queue_conflict(session: Session, kind: str, record: WireRecord, digest: str, terminal_id: str,
                    other: str | None) -> int:
    rid = str(record.record_id)
    existing = session.scalar(select(Conflict).where(Conflict.kind == kind, Conflict.record_id == rid,
                                                     Conflict.version == record.version,
                                                     Conflict.content_hash == digest))
    if existing is not None:
        return existing.conflict_id
    conflict = Conflict(kind=kind, record_id=rid, version=record.version, content_hash=digest,
                        other_record_id=other, terminal_id=terminal_id, payload=record.model_dump_json(),
                        status="open")
    session.add(conflict)
    session.flush()
    return conflict.conflict_id


def _lock_identity(session: Session, id_number: str) -> None:
    """Serialises pushes of one ID number on PostgreSQL (SQLite writes are serialised by the app already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": id_number})
