"""Correction requests for signed records: requested at the school, decided by an authority above it.

Approval runs the lifecycle's "correct" transition (kiosk.record): the record stays signed and locked, the corrected
fields become a new stored version; before and after are kept with the request. The approved correction then goes
to the record's terminal in its config pull (for_terminal) and is marked delivered when the terminal acknowledges
it (acknowledge): applied there through the same transition, so both sides hold the same content hash, or refused
with a code shown here. The terminal's pushes cannot overwrite the corrected version (central.ingest).

A refused correction is not sent again by itself: an authority that may approve it either re-sends it once the
cause is fixed (the terminal pulled the policy it lacked, its record came back to the signed version; redeliver)
or withdraws it: central's record goes back to the version the terminal holds (the corrected version, which no
terminal took, leaves record_versions; the request keeps its before/after), so the school may ask again. Both are
audited. Approving or withdrawing keeps the record's password fingerprint that of the version kept.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.ingest import remember_fingerprint
from central.models import Record, RecordVersion, School, Terminal, utcnow
from kiosk.errors import KioskError
from kiosk.record import CORRECTABLE, transition
from kiosk.record import Record as WireRecord
from kiosk.wire import Correction, CorrectionAck, CorrectionAckResult

from .accounts import audit
from .models import CorrectionRequest, User
from .records import category_labels, keys_of, record_data, record_payload, seal, unseal
from .scope import Scope

FIELDS = {"contact_phone": "联系电话", "home_address": "家庭住址", "student_number": "学籍号",
          "category": "报考类别"}
assert set(FIELDS) <= CORRECTABLE
# why a terminal refused to apply an approved correction (kiosk.wire.RefusalCode), for the operator
REFUSALS = {"not_held": "终端上已没有该记录（可能已按保留期限清理）", "version_moved": "终端上的记录已有其他新版本",
            "content_differs": "终端上的记录内容与中心不一致", "bad_fields": "更正内容终端无法接受"}
MAX_DELIVERY = 100
PHONE = re.compile(r"1[3-9]\d{9}")


def _checked(field: str, value: str) -> str:
    if field == "contact_phone" and not PHONE.fullmatch(value):
        return "联系电话应为11位手机号码"
    if field == "student_number" and not re.fullmatch(r"[0-9A-Za-z]{1,40}", value):
        return "学籍号应为1至40位字母或数字"
    if field == "category" and value not in category_labels():
        return "报考类别无效"
    if field == "home_address" and not 2 <= len(value) <= 200:
        return "家庭住址应为2至200个字"
    return ""


def request(session: Session, user: User, record: Record, reason: str, changes: dict[str, str]) -> str:
    """'' or the Chinese reason the request was refused."""
    if user.role not in ("school", "point"):
        return "更正申请由学校（报名点）提出"
    if record.state != "signed":
        return "只有已签字确认的记录需要更正申请"
    if session.scalar(select(CorrectionRequest).where(CorrectionRequest.record_id == record.record_id,
                                                      CorrectionRequest.status == "pending")):
        return "该记录已有待审批的更正申请"
    if session.scalar(select(CorrectionRequest).where(  # a later correction would start from a version it lacks
            CorrectionRequest.record_id == record.record_id, CorrectionRequest.status == "approved",
            or_(CorrectionRequest.delivery.is_(None), CorrectionRequest.delivery != "applied"))):
        return "该记录上一次批准的更正尚未在终端更新，请待终端更新或由审批部门撤回后再申请"
    reason = reason.strip()[:1000]
    if not reason:
        return "请填写更正原因"
    keys = keys_of(session)
    data = record_data(record, keys)
    after = {k: v.strip() for k, v in changes.items() if k in FIELDS and v.strip() and v.strip() != data.get(k)}
    if not after:
        return "请填写至少一项需要更正的内容"
    for field, value in after.items():
        problem = _checked(field, value)
        if problem:
            return problem
    problems = _terminal_problems(data, after)
    if problems:
        return next(iter(problems.values()))
    before = {k: data.get(k, "") for k in after}
    session.add(CorrectionRequest(record_id=record.record_id, school_code=record.school_code,
                                  from_version=record.version, reason=reason, before=seal(before, keys, "corrections"),
                                  after=seal(after, keys, "corrections"), status="pending", requested_by=user.user_id))
    audit(session, user, "correction.request", record.record_id, before, after)
    return ""


def _terminal_problems(data: dict, after: dict) -> dict[str, str]:
    """What the terminal would refuse of these values (kiosk.corrections.correction_problems): refused here, at the
    request, so an approved correction is one the terminal applies."""
    from kiosk.corrections import correction_problems
    from kiosk.policy import get_policy

    try:
        current = WireRecord.model_validate(data)
    except ValueError:
        return {"record": "记录格式无效"}
    try:
        policy = get_policy(current.policy)
    except KioskError:
        policy = None
    return correction_problems(current, after, policy)


def county_of(session: Session, correction: CorrectionRequest, record: Record | None) -> str:
    county = session.scalar(select(School.county_code).where(School.code == correction.school_code))
    if not county and record is not None:
        county = session.scalar(select(Terminal.county_code).where(Terminal.terminal_id == record.terminal_id))
    return county or ""


def in_scope(scope: Scope):
    return or_(CorrectionRequest.record_id.in_(select(Record.record_id).where(scope.records())),
               CorrectionRequest.school_code.in_(select(School.code).where(scope.schools())))


def listing(session: Session, scope: Scope, status: str) -> list[CorrectionRequest]:
    return session.scalars(select(CorrectionRequest).where(in_scope(scope), CorrectionRequest.status == status)
                           .order_by(CorrectionRequest.requested_at).limit(500)).all()


def find(session: Session, scope: Scope, correction_id: int) -> CorrectionRequest | None:
    return session.scalar(select(CorrectionRequest).where(CorrectionRequest.correction_id == correction_id,
                                                          in_scope(scope)))


def diff(correction: CorrectionRequest, keys) -> list[tuple[str, str, str]]:
    before = unseal(correction.before, keys, "corrections") or {}
    after = unseal(correction.after, keys, "corrections") or {}
    return [(FIELDS.get(k, k), str(before.get(k, "")), str(v)) for k, v in after.items()]


def decide(session: Session, user: User, correction: CorrectionRequest, approve: bool, comment: str) -> str:
    if correction.status != "pending":
        return "该申请已处理"
    record = session.get(Record, correction.record_id)
    if not Scope(user.role, user.scope_code).approves_for(county_of(session, correction, record)):
        return "更正申请须由学校的上级教育行政部门审批"
    if not approve and not comment.strip():
        return "不予批准时请填写说明"
    if record is None or record.version != correction.from_version or record.state != "signed":
        return "记录已有新的版本，请学校重新提出申请"
    before, keys = {"status": "pending"}, keys_of(session)
    if approve:
        try:
            current = WireRecord.model_validate(record_data(record, keys))
            corrected, _ = transition(current, "correct", f"operator:{user.user_id}", approver=user.username,
                                      changes=unseal(correction.after, keys, "corrections") or {},
                                      correction_id=correction.correction_id)
        except (KioskError, ValueError) as exc:
            return getattr(exc, "message", "") or "更正内容无效"
        stored, digest, now = record_payload(corrected, keys), corrected.content_hash(), utcnow()
        held = session.get(RecordVersion, (record.record_id, corrected.version))
        if held is not None and held.content_hash != digest:  # a version kept as history with other content
            return "记录已有新的版本，请学校重新提出申请"
        if held is None:
            session.add(RecordVersion(record_id=record.record_id, version=corrected.version,
                                      state=corrected.state.value, content_hash=digest, received_at=now, **stored))
        record.version, record.state, record.content_hash = corrected.version, corrected.state.value, digest
        record.payload, record.key_id, record.updated_at = stored["payload"], stored["key_id"], now
        remember_fingerprint(session.connection(), keys, record.record_id, corrected)
        correction.to_version = corrected.version
    correction.status = "approved" if approve else "rejected"
    correction.decided_by, correction.decided_at = user.user_id, utcnow()
    correction.decision_comment = comment.strip()[:1000]
    audit(session, user, "correction." + correction.status, record.record_id, before,
          {"status": correction.status, "to_version": correction.to_version, "comment": correction.decision_comment})
    return ""


def for_terminal(session: Session, terminal_id: str, keys) -> list[Correction]:
    """The approved corrections of the terminal's records it has not acknowledged yet (oldest first)."""
    rows = session.execute(
        select(CorrectionRequest, RecordVersion.content_hash)
        .join(Record, Record.record_id == CorrectionRequest.record_id)
        .join(RecordVersion, (RecordVersion.record_id == CorrectionRequest.record_id)
              & (RecordVersion.version == CorrectionRequest.to_version))
        .where(CorrectionRequest.status == "approved", CorrectionRequest.delivered_at.is_(None),
               Record.terminal_id == terminal_id)
        .order_by(CorrectionRequest.decided_at).limit(MAX_DELIVERY)).all()
    approvers = dict(session.execute(select(User.user_id, User.username).where(
        User.user_id.in_({c.decided_by for c, _ in rows}))).all()) if rows else {}
    return [Correction(correction_id=c.correction_id, record_id=c.record_id, from_version=c.from_version,
                       version=c.to_version, changes=unseal(c.after, keys, "corrections") or {},
                       content_hash=digest, approver=approvers.get(c.decided_by, ""), approved_at=c.decided_at)
            for c, digest in rows]


def acknowledge(session: Session, terminal_id: str, acks: list[CorrectionAck]) -> list[CorrectionAckResult]:
    """The terminal's answer for corrections it pulled. One not of this terminal's records (another terminal's, an
    unknown id, one never approved) is refused and audited; a repeated acknowledgement is taken again."""
    from central.ingest import audit as terminal_audit

    results = []
    for ack in acks:
        correction = session.get(CorrectionRequest, ack.correction_id)
        record = session.get(Record, correction.record_id) if correction is not None else None
        if correction is None or record is None or correction.status != "approved" \
                or record.terminal_id != terminal_id:
            terminal_audit(session, terminal_id, "correction_ack", "unknown_correction", None,
                           f"correction {ack.correction_id} is not an approved correction of this terminal")
            results.append(CorrectionAckResult(correction_id=ack.correction_id, ok=False,
                                               reason="not an approved correction of this terminal's records"))
            continue
        if ack.outcome == "applied" and ack.version != correction.to_version:
            results.append(CorrectionAckResult(correction_id=ack.correction_id, ok=False,
                                               reason="applied at another version than the corrected one"))
            continue
        if correction.delivered_at is None:
            correction.delivered_at, correction.delivery = utcnow(), ack.outcome
            correction.delivery_code = ack.code or ""
            if ack.outcome == "refused":
                terminal_audit(session, terminal_id, "correction_ack", ack.code or "refused", record.record_id,
                               f"terminal refused correction {ack.correction_id} at version {ack.version}")
        results.append(CorrectionAckResult(correction_id=ack.correction_id, ok=True))
    return results


def redeliver(session: Session, user: User, correction: CorrectionRequest, withdraw: bool, comment: str) -> str:
    """A correction the terminal refused: sent again at the terminal's next config pull, or withdrawn (see the
    module's docstring). '' or the Chinese reason it was refused."""
    if correction.status != "approved" or correction.delivery != "refused":
        return "只有终端未能更新的更正可以重新下发或撤回"
    record = session.get(Record, correction.record_id)
    if not Scope(user.role, user.scope_code).approves_for(county_of(session, correction, record)):
        return "须由学校的上级教育行政部门处理"
    comment = comment.strip()[:1000]
    if withdraw and not comment:
        return "撤回更正时请填写说明"
    before = {"status": correction.status, "delivery": correction.delivery, "code": correction.delivery_code}
    if withdraw:
        problem = _restore(session, record, correction)
        if problem:
            return problem
        correction.status = "withdrawn"
    correction.delivered_at, correction.delivery, correction.delivery_code = None, "", ""
    correction.decision_comment = (correction.decision_comment + "；" if correction.decision_comment else "") + \
        ("撤回：" if withdraw else "重新下发：") + (comment or "—")
    audit(session, user, "correction." + ("withdraw" if withdraw else "resend"), correction.record_id, before,
          {"status": correction.status, "comment": comment})
    return ""


def _restore(session: Session, record: Record | None, correction: CorrectionRequest) -> str:
    """Central's record back at the version the correction was made from (what the terminal holds)."""
    if record is None or record.version != correction.to_version:
        return "记录已有新的版本，不能撤回此更正"
    previous = session.get(RecordVersion, (record.record_id, correction.from_version))
    corrected = session.get(RecordVersion, (record.record_id, correction.to_version))
    if previous is None:
        return "找不到更正前的版本，不能撤回此更正"
    record.version, record.state, record.content_hash = previous.version, previous.state, previous.content_hash
    record.payload, record.key_id, record.updated_at = previous.payload, previous.key_id, utcnow()
    if corrected is not None:
        session.delete(corrected)
    keys = keys_of(session)
    remember_fingerprint(session.connection(), keys, record.record_id, WireRecord.model_validate(
        record_data(previous, keys)))
    return ""


def delivery_label(correction: CorrectionRequest) -> str:
    """Chinese, for the corrections page: where the approved correction is on its way to the terminal."""
    if correction.status != "approved":
        return ""
    if correction.delivery == "applied":
        return "终端已更新"
    if correction.delivery == "refused":
        return "终端未能更新：" + REFUSALS.get(correction.delivery_code, correction.delivery_code)
    return "待终端同步"
