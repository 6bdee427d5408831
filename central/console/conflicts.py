"""The conflict queue: same-ID-number, cross-terminal, content and locked-record conflicts, resolved with a reason.

Nothing is merged: a resolution sets a record aside (console_record_flags), keeps both as separate registrations,
replaces an unsigned version's content with the pushed one, or rejects the push. The password fingerprint
(password_fingerprints, central.ingest.remember_fingerprint) follows the record kept: a record kept as its own
registration, or an incoming version that replaced the held one, brings its fingerprint; a rejected one's does not
count (voided records are left out of the check, replaced content takes its fingerprint with it).
"""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.ingest import remember_fingerprint
from central.models import Conflict, Record, RecordVersion, Terminal, utcnow
from kiosk.record import Record as WireRecord

from .accounts import audit
from .models import ConflictResolution, RecordFlag, User
from .records import keys_of, record_data, record_payload
from .scope import Scope

KIND_LABELS = {"id_number": "同一身份证号的另一条记录", "terminal": "另一终端推送了同一记录",
               "content": "同一版本内容不同", "locked": "已签字锁定的记录收到新版本"}
DECISIONS = {"keep_held": "保留原记录", "keep_incoming": "保留新推送的记录", "keep_both": "两条均保留（分别报名）",
             "reject": "驳回新推送的记录"}
ALLOWED = {"id_number": ("keep_held", "keep_incoming", "keep_both", "reject"),
           "terminal": ("keep_held", "keep_both", "reject"),
           "content": ("keep_held", "keep_incoming", "reject"),
           "locked": ("keep_held", "reject")}


def in_scope(scope: Scope):
    records = select(Record.record_id).where(scope.records())
    return or_(Conflict.terminal_id.in_(select(Terminal.terminal_id).where(scope.terminals())),
               Conflict.record_id.in_(records), Conflict.other_record_id.in_(records))


def queue(session: Session, scope: Scope, status: str = "open") -> list[Conflict]:
    return session.scalars(select(Conflict).where(in_scope(scope), Conflict.status == status)
                           .order_by(Conflict.created_at).limit(500)).all()


def find(session: Session, scope: Scope, conflict_id: int) -> Conflict | None:
    return session.scalar(select(Conflict).where(Conflict.conflict_id == conflict_id, in_scope(scope)))


def sides(session: Session, conflict: Conflict) -> tuple[dict | None, dict]:
    """(held record's data, incoming data)."""
    held_id = conflict.other_record_id if conflict.kind == "id_number" else conflict.record_id
    held = session.get(Record, held_id) if held_id else None
    keys = keys_of(session)
    return (record_data(held, keys) if held else None), record_data(conflict, keys)


def _void(session: Session, record_id: str | None, reason: str, conflict_id: int) -> None:
    if record_id and session.get(RecordFlag, record_id) is None:
        session.add(RecordFlag(record_id=record_id, status="voided", reason=reason, conflict_id=conflict_id))


def resolve(session: Session, user: User, conflict: Conflict, decision: str, reason: str) -> str:
    """'' or the Chinese reason the resolution was refused."""
    if conflict.status != "open":
        return "该冲突已处理"
    if decision not in ALLOWED.get(conflict.kind, ()):
        return "此类冲突不能这样处理"
    reason = reason.strip()[:1000]
    if not reason:
        return "请填写处理理由"
    cid = conflict.conflict_id
    if conflict.kind == "id_number":
        if decision in ("keep_held", "reject"):
            _void(session, conflict.record_id, reason, cid)
        elif decision == "keep_incoming":
            _void(session, conflict.other_record_id, reason, cid)
    elif decision == "keep_both":
        _store_as_new(session, conflict)
    elif decision == "keep_incoming":
        problem = _replace_content(session, conflict)
        if problem:
            return problem
    conflict.status = "resolved"
    session.add(ConflictResolution(conflict_id=cid, decision=decision, reason=reason, user_id=user.user_id))
    audit(session, user, "conflict.resolve", str(cid), {"status": "open", "kind": conflict.kind},
          {"status": "resolved", "decision": decision, "reason": reason})
    return ""


def _store_as_new(session: Session, conflict: Conflict) -> None:
    keys = keys_of(session)
    record = WireRecord.model_validate(record_data(conflict, keys)).model_copy(update={"record_id": uuid.uuid4()})
    now, stored, digest = utcnow(), record_payload(record, keys), record.content_hash()
    session.add(Record(record_id=str(record.record_id), version=record.version, state=record.state.value,
                       content_hash=digest, terminal_id=conflict.terminal_id, id_number=keys.id_digest(record.id_number),
                       school_code=record.school_code, received_at=now, updated_at=now, **stored))
    session.add(RecordVersion(record_id=str(record.record_id), version=record.version, state=record.state.value,
                              content_hash=digest, received_at=now, **stored))
    remember_fingerprint(session.connection(), keys, str(record.record_id), record)


def _replace_content(session: Session, conflict: Conflict) -> str:
    held = session.get(Record, conflict.record_id)
    if held is None or held.state in ("signed", "correction_requested"):
        return "原记录已签字锁定，只能通过更正申请修改"
    keys = keys_of(session)
    record = WireRecord.model_validate(record_data(conflict, keys))
    version = session.get(RecordVersion, (conflict.record_id, conflict.version))
    stored, digest = record_payload(record, keys), record.content_hash()
    if version is not None:
        version.payload, version.key_id = stored["payload"], stored["key_id"]
        version.content_hash, version.state = digest, record.state.value
    if held.version == conflict.version:
        held.payload, held.key_id = stored["payload"], stored["key_id"]
        held.content_hash, held.state, held.updated_at = digest, record.state.value, utcnow()
        remember_fingerprint(session.connection(), keys, conflict.record_id, record)
    return ""


def resolution(session: Session, conflict_id: int) -> ConflictResolution | None:
    return session.get(ConflictResolution, conflict_id)
