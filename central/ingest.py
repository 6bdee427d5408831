"""Record push: the idempotency and conflict rules, applied per item inside one database transaction.

- same id + version + content hash: "already_have" (a resend after a lost reply creates nothing);
  a later lifecycle state of that same version and content (printed, signed, a reprint) is "updated";
- same id + version, different content: "conflict" (queued for operators, the held copy is untouched);
- a newer version of a signed (locked) record: "conflict" (locked); after a correction request it is accepted;
- another record with the same ID number: the new record is kept as its own row and a conflict is queued;
  nothing is ever merged;
- a record the terminal may not write (central.scope), malformed or over the field limits, or with attachments that
  are not the policy's JPEGs: "rejected" with a code and a Chinese message, and an audit row;
- a password fingerprint another student of the same school holds (voided records aside): "rejected"
  (password_reused); the terminal keeps the record unsynced with the message. A stored record's fingerprint is kept
  in password_fingerprints (terminals pull them with their config).
Payloads are sealed (central.records) and ID numbers held as keyed HMACs before the write transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.record import Record as WireRecord
from kiosk.wire import (MAX_ATTACHMENT_BYTES, PushItem, PushResult, Rejection, is_progress, jpeg_problem, push_problem,
                        student_tag)

from .keys import school_key
from .models import Attachment, Conflict, PasswordFingerprint, Record, RecordVersion, TerminalAudit, utcnow
from .records import DataKeys
from .scope import TerminalScope, scope_problem

# Core tables: the hot path skips the ORM's per-statement work
RECORDS, VERSIONS, ATTACHMENTS = Record.__table__, RecordVersion.__table__, Attachment.__table__
CONFLICTS, AUDIT, FINGERPRINTS = Conflict.__table__, TerminalAudit.__table__, PasswordFingerprint.__table__
# ... and its statements are built once: building and coercing a select costs more than SQLite running it
HELD = select(RECORDS.c.version, RECORDS.c.state, RECORDS.c.content_hash, RECORDS.c.terminal_id,
              RECORDS.c.payload).where(RECORDS.c.record_id == bindparam("rid")).with_for_update()
OTHER_HOLDER = select(RECORDS.c.record_id).where(RECORDS.c.id_number == bindparam("id_number"),
                                                 RECORDS.c.record_id != bindparam("rid")).limit(1)
OLD_VERSION = select(VERSIONS.c.content_hash, VERSIONS.c.payload).where(
    VERSIONS.c.record_id == bindparam("rid"), VERSIONS.c.version == bindparam("version"))
QUEUED = select(CONFLICTS.c.conflict_id, CONFLICTS.c.kind).where(
    CONFLICTS.c.record_id == bindparam("rid"), CONFLICTS.c.version == bindparam("version"),
    CONFLICTS.c.content_hash == bindparam("digest"))
HELD_ATTACHMENT = select(ATTACHMENTS.c.size).where(ATTACHMENTS.c.sha256 == bindparam("sha"))
INSERT_VERSION, INSERT_RECORD = insert(VERSIONS), insert(RECORDS)
_PASSWORD_TAKEN = []  # built on first use: it names the console's flags table (central.terminals.voided)
# the columns to set are the parameters' other keys
UPDATE_VERSION = update(VERSIONS).where(VERSIONS.c.record_id == bindparam("b_rid"),
                                        VERSIONS.c.version == bindparam("b_version"))
UPDATE_RECORD = update(RECORDS).where(RECORDS.c.record_id == bindparam("b_rid"))
_INSERT_IGNORE: dict[str, object] = {}


def _attachments(item: PushItem) -> list[tuple[str, bytes | None, str]]:
    return [("photo", item.photo, item.record.photo_sha256), ("document", item.document, item.record.document_sha256)]


def check(item: PushItem, terminal: TerminalScope, policies: dict, counties: dict[str, str]
          ) -> tuple[Rejection | None, list[tuple[str, bytes]]]:
    """(rejection, []) or (None, the item's JPEGs as (sha256, bytes) to store before the transaction). Content,
    then scope, then the JPEGs' headers against the record's policy (sizes first: nothing oversized is parsed)."""
    problem = push_problem(item.record) or scope_problem(terminal, item.record, policies, counties)
    if problem:
        return problem, []
    policy, blobs = policies[item.record.policy], []
    for kind, data, sha in _attachments(item):
        if data is None:
            continue
        if data and not sha:
            return Rejection("attachment_invalid", f"{kind} sent for a record without {kind}_sha256"), []
        bad = jpeg_problem(data, getattr(policy, kind)) if len(data) <= MAX_ATTACHMENT_BYTES else "too large"
        if bad:
            return Rejection("attachment_invalid", f"{kind}: {bad}"), []
        if hashlib.sha256(data).hexdigest() != sha:
            return Rejection("attachment_invalid", f"{kind} bytes do not match {kind}_sha256"), []
        blobs.append((sha, data))
    return None, blobs


def rejected(item: PushItem, problem: Rejection) -> PushResult:
    return PushResult(record_id=str(item.record.record_id), version=item.record.version, outcome="rejected",
                      reason=problem.detail, code=problem.code, message=problem.message)


def audit(session_or_db, terminal_id: str, action: str, code: str, record_id: str | None, detail: str) -> None:
    session_or_db.execute(insert(AUDIT), [dict(at=utcnow(), terminal_id=terminal_id, action=action, code=code,
                                               record_id=record_id, detail=detail[:300])])


@dataclass(frozen=True)
class Prepared:
    """What ingest() needs of an item, computed before the write transaction (outside SQLite's one writer)."""

    item: PushItem
    record: WireRecord  # with the pushing terminal's id
    rid: str
    digest: str
    payload: str  # sealed
    id_key: str  # keyed HMAC of the ID number
    keys: DataKeys


def prepare(terminal_id: str, item: PushItem, keys: DataKeys) -> Prepared:
    record = item.record.model_copy(update={"terminal_id": terminal_id})
    rid = str(record.record_id)
    return Prepared(item, record, rid, record.content_hash(), keys.seal_json(record.model_dump_json(), rid),
                    keys.id_digest(record.id_number), keys)


def ingest(session: Session, terminal_id: str, prepared: Prepared) -> PushResult:
    """Applies the rules to one pushed item. Core statements, not ORM objects: this is the server's hot path."""
    item, record, rid, digest = prepared.item, prepared.record, prepared.rid, prepared.digest

    def result(outcome: str, reason: str = "", conflict_id: int | None = None) -> PushResult:
        return PushResult(record_id=rid, version=record.version, outcome=outcome, reason=reason,
                          conflict_id=conflict_id)

    def queue(kind: str, reason: str, other: str | None = None) -> PushResult:
        return result("conflict", reason, _queue_conflict(session, kind, prepared, terminal_id, other))

    db = session.connection()  # Core on the session's connection: the hot path skips ORM execution
    problem = _missing_attachments(db, item)
    if problem:
        audit(db, terminal_id, "push", problem.code, rid, problem.detail)
        return rejected(item, problem)
    _lock_identity(db, prepared.id_key)
    problem = _password_reused(db, record, prepared.id_key)
    if problem:
        audit(db, terminal_id, "push", problem.code, rid, problem.detail)
        return rejected(item, problem)
    held = db.execute(HELD, {"rid": rid}).first()
    if held is None:
        other = db.scalar(OTHER_HOLDER, {"id_number": prepared.id_key, "rid": rid})
        _store(db, prepared, new_record=True, new_version=True)
        return queue("id_number", "another record holds this ID number", other) if other else result("created")
    if held.terminal_id != terminal_id:
        return queue("terminal", "record belongs to another terminal", rid)
    if record.version < held.version:
        old = db.execute(OLD_VERSION, {"rid": rid, "version": record.version}).first()
        if old is None:
            db.execute(INSERT_VERSION, _version_values(prepared))
            return result("created", "older version kept as history")
        return _same_version(db, old, prepared, queue, result, current=False)
    if record.version == held.version:
        return _same_version(db, held, prepared, queue, result, current=True)
    if held.state == "signed":
        return queue("locked", "held version is signed (locked); a correction request must come first")
    _store(db, prepared, new_record=False, new_version=True)
    return result("created")


def _missing_attachments(db: Connection, item: PushItem) -> Rejection | None:
    """Registers the JPEGs that came with the item; names one the record needs that the server does not hold."""
    sent = [{"sha256": sha, "size": len(data), "stored_at": utcnow()} for _, data, sha in _attachments(item)
            if sha and data is not None]
    if sent:
        db.execute(_insert_ignore(db, ATTACHMENTS), sent)
    for kind, data, sha in _attachments(item):
        if sha and data is None and db.scalar(HELD_ATTACHMENT, {"sha": sha}) is None:
            return Rejection("attachment_missing", f"{kind} missing: send it with the record")
    return None


def _same_version(db: Connection, held, prepared: Prepared, queue, result, current: bool) -> PushResult:
    record, digest = prepared.record, prepared.digest
    if held.content_hash != digest:
        return queue("content", "different content for the same version")
    if is_progress(WireRecord.model_validate_json(prepared.keys.open_json(held.payload, prepared.rid)), record):
        _store(db, prepared, new_record=False, new_version=False, current=current)
        return result("updated")
    existing = db.execute(QUEUED, {"rid": prepared.rid, "version": record.version, "digest": digest}).first()
    if existing is not None:
        return result("conflict", f"{existing.kind} conflict queued", existing.conflict_id)
    return result("already_have")


def _store(db: Connection, prepared: Prepared, *, new_record: bool, new_version: bool, current: bool = True) -> None:
    record, rid, now, version = prepared.record, prepared.rid, utcnow(), _version_values(prepared)
    if new_version:
        db.execute(INSERT_VERSION, version)
    else:
        db.execute(UPDATE_VERSION, {"b_rid": rid, "b_version": record.version, "state": version["state"],
                                    "payload": version["payload"], "key_id": version["key_id"]})
    if not current:
        return
    values = dict(version=record.version, state=record.state.value, content_hash=prepared.digest,
                  school_code=record.school_code, payload=prepared.payload, key_id=version["key_id"],
                  updated_at=now)
    if new_record:
        db.execute(INSERT_RECORD, dict(record_id=rid, terminal_id=record.terminal_id, id_number=prepared.id_key,
                                       received_at=now, **values))
    else:
        db.execute(UPDATE_RECORD, {"b_rid": rid, **values})
    if record.password_fingerprint and record.school_code:
        _remember_fingerprint(db, prepared)


def _password_reused(db: Connection, record: WireRecord, id_key: str) -> Rejection | None:
    """Another student of the record's school holds its password fingerprint (a voided record's does not count)."""
    if not (record.password_fingerprint and record.school_code):
        return None
    if db.dialect.name == "postgresql":  # two terminals pushing the same password at once: one after the other
        db.execute(LOCK_IDENTITY, {"k": f"pw:{record.school_code}:{record.password_fingerprint}"})
    if not _PASSWORD_TAKEN:
        from .terminals import voided

        _PASSWORD_TAKEN.append(select(FINGERPRINTS.c.record_id).where(
            FINGERPRINTS.c.school_code == bindparam("school"), FINGERPRINTS.c.fingerprint == bindparam("fingerprint"),
            FINGERPRINTS.c.id_number != bindparam("id_number"), FINGERPRINTS.c.record_id.not_in(voided())).limit(1))
    other = db.scalar(_PASSWORD_TAKEN[0], {"school": record.school_code, "fingerprint": record.password_fingerprint,
                                       "id_number": id_key})
    return Rejection("password_reused", "password fingerprint held by another student of the school") if other \
        else None


def _remember_fingerprint(db: Connection, prepared: Prepared) -> None:
    """The pushed record's current fingerprint, with its student's tag under the school key."""
    remember_fingerprint(db, prepared.keys, prepared.rid, prepared.record, prepared.id_key)


def remember_fingerprint(db: Connection, keys: DataKeys, rid: str, record: WireRecord, id_key: str = "") -> None:
    """Makes password_fingerprints hold the fingerprint of the record kept as `rid` (its student's tag under the
    school key: terminals skip their own). Also for the console when it writes a record itself (a conflict resolved
    by keeping the incoming version or both, a correction approved or withdrawn): the kept version's fingerprint
    counts; a kept version without one (or of a school without a key) holds none, so a replaced one no longer
    counts."""
    key = school_key(db, keys, record.school_code) if record.password_fingerprint and record.school_code else None
    if key is None:  # no terminal of the school ever pulled a key: a fingerprint under no key of ours
        db.execute(FINGERPRINTS.delete().where(FINGERPRINTS.c.record_id == rid))
        return
    values = dict(record_id=rid, school_code=record.school_code, id_number=id_key or keys.id_digest(record.id_number),
                  student=student_tag(key, record.id_number), fingerprint=record.password_fingerprint)
    module = {"postgresql": postgresql, "sqlite": sqlite}[db.dialect.name]
    statement = module.insert(FINGERPRINTS).values(values)
    db.execute(statement.on_conflict_do_update(index_elements=["record_id"], set_={
        k: statement.excluded[k] for k in ("school_code", "id_number", "student", "fingerprint")}))


def _version_values(prepared: Prepared) -> dict:
    record = prepared.record
    return dict(record_id=prepared.rid, version=record.version, state=record.state.value,
                content_hash=prepared.digest, payload=prepared.payload, key_id=prepared.keys.current,
                received_at=utcnow())


def _insert_ignore(db: Connection, table):
    dialect = db.dialect.name
    statement = _INSERT_IGNORE.get((dialect, table.name))
    if statement is None:
        module = {"postgresql": postgresql, "sqlite": sqlite}[dialect]
        statement = _INSERT_IGNORE[(dialect, table.name)] = module.insert(table).on_conflict_do_nothing()
    return statement


def _queue_conflict(session: Session, kind: str, prepared: Prepared, terminal_id: str, other: str | None) -> int:
    record, digest, rid = prepared.record, prepared.digest, prepared.rid
    existing = session.scalar(select(Conflict).where(Conflict.kind == kind, Conflict.record_id == rid,
                                                     Conflict.version == record.version,
                                                     Conflict.content_hash == digest))
    if existing is not None:
        return existing.conflict_id
    conflict = Conflict(kind=kind, record_id=rid, version=record.version, content_hash=digest,
                        other_record_id=other, terminal_id=terminal_id, payload=prepared.payload,
                        key_id=prepared.keys.current, status="open")
    session.add(conflict)
    session.flush()
    return conflict.conflict_id


LOCK_IDENTITY = text("SELECT pg_advisory_xact_lock(hashtext(:k))")


def _lock_identity(db: Connection, id_key: str) -> None:
    """Serialises pushes of one ID number on PostgreSQL (SQLite writes are serialised by the app already)."""
    if db.dialect.name == "postgresql":
        db.execute(LOCK_IDENTITY, {"k": id_key})
