"""Correction requests for signed records: requested at the school, decided by an authority above it.

Approval follows the kiosk's lifecycle (request_correction, approve_correction): the record becomes a new draft
version with the corrected fields, to be reprinted and signed again; before and after are kept with the request.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.models import Record, RecordVersion, School, Terminal, utcnow
from kiosk.errors import KioskError
from kiosk.record import Record as WireRecord
from kiosk.record import edit, transition

from .accounts import audit
from .models import CorrectionRequest, User
from .records import category_labels, keys_of, record_data, record_payload, seal, unseal
from .scope import Scope

FIELDS = {"contact_phone": "联系电话", "home_address": "家庭住址", "student_number": "学籍号",
          "category": "报考类别"}
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
    before = {k: data.get(k, "") for k in after}
    session.add(CorrectionRequest(record_id=record.record_id, school_code=record.school_code,
                                  from_version=record.version, reason=reason, before=seal(before, keys, "corrections"),
                                  after=seal(after, keys, "corrections"), status="pending", requested_by=user.user_id))
    audit(session, user, "correction.request", record.record_id, before, after)
    return ""


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
            requested, _ = transition(current, "request_correction", f"operator:{correction.requested_by}",
                                      reason=correction.reason)
            reopened, _ = transition(requested, "approve_correction", f"operator:{user.user_id}",
                                     approver=user.username)
            corrected = edit(reopened, **(unseal(correction.after, keys, "corrections") or {}))
        except (KioskError, ValueError) as exc:
            return getattr(exc, "message", "") or "更正内容无效"
        stored, digest, now = record_payload(corrected, keys), corrected.content_hash(), utcnow()
        session.add(RecordVersion(record_id=record.record_id, version=corrected.version,
                                  state=corrected.state.value, content_hash=digest, received_at=now, **stored))
        record.version, record.state, record.content_hash = corrected.version, corrected.state.value, digest
        record.payload, record.key_id, record.updated_at = stored["payload"], stored["key_id"], now
        correction.to_version = corrected.version
    correction.status = "approved" if approve else "rejected"
    correction.decided_by, correction.decided_at = user.user_id, utcnow()
    correction.decision_comment = comment.strip()[:1000]
    audit(session, user, "correction." + correction.status, record.record_id, before,
          {"status": correction.status, "to_version": correction.to_version, "comment": correction.decision_comment})
    return ""
