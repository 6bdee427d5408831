"""The record's lifecycle: explicit transitions, each producing an audit entry.

draft -> submitted -> printed -> signed (locked). Before signing the candidate may go back to draft to fix what
the printed proof shows. After signing, only a correction request (with reason) that an approver accepts reopens
the record as a new draft version; a rejected request returns it to signed. An authority's approved correction
(central's console) is "correct": the signed record stays signed and locked for the student, the corrected fields
(CORRECTABLE only) become a new version; "reprint" prints that version's form once more (counted), still signed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.clock import utcnow
from kiosk.errors import KioskError

from .model import Record, RecordState as S

# action -> (allowed from-states, to-state)
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED),
    "revise": (frozenset({S.SUBMITTED, S.PRINTED}), S.DRAFT),
    "print": (frozenset({S.SUBMITTED, S.PRINTED}), S.PRINTED),  # again from printed = a counted reprint
    "sign": (frozenset({S.PRINTED}), S.SIGNED),
    "request_correction": (frozenset({S.SIGNED}), S.CORRECTION_REQUESTED),
    "approve_correction": (frozenset({S.CORRECTION_REQUESTED}), S.DRAFT),
    "reject_correction": (frozenset({S.CORRECTION_REQUESTED}), S.SIGNED),
    "correct": (frozenset({S.SIGNED}), S.SIGNED),  # details: approver, changes (the corrected fields)
    "reprint": (frozenset({S.SIGNED}), S.SIGNED),  # the corrected version's form, counted like a print
}
REQUIRED_DETAILS = {"request_correction": ("reason",), "approve_correction": ("approver",), "sign": (),
                    "correct": ("approver",)}
# What an approved correction may change: contact and school-status fields, never the chip's identity.
CORRECTABLE = frozenset({"contact_phone", "home_address", "student_number", "category"})
# (action, from-state) that only an operator may run, with a reason: the paper is out, so a printed record goes
# back to draft only when the staff take the old form back.
OPERATOR_ONLY: dict[tuple[str, S], tuple[str, ...]] = {("revise", S.PRINTED): ("reason",)}
MISSING_DETAIL = {"reason": "请填写更正原因", "approver": "须由审核人批准"}

STATE_LABELS = {S.DRAFT: "填写中", S.SUBMITTED: "已提交", S.PRINTED: "已打印", S.SIGNED: "已签字确认（锁定）",
                S.CORRECTION_REQUESTED: "更正申请中"}


@dataclass(frozen=True)
class AuditEntry:
    record_id: str
    action: str
    actor: str  # "student", "operator:<id>", "system", "central"
    from_state: str
    to_state: str
    version: int
    at: dt.datetime
    details: dict = field(default_factory=dict)  # never personal data: reasons, counts, printer names


def operator_actor(operator: str | None) -> str:
    """The audit actor for an operator's id ("operator:<id>"); a Chinese error when nobody is logged in."""
    operator = (operator or "").strip()
    if not operator:
        raise KioskError("须由工作人员刷卡登录后操作", detail="no operator id")
    return operator if operator.startswith("operator:") else f"operator:{operator}"


def transition(record: Record, action: str, actor: str, now: dt.datetime | None = None,
               **details) -> tuple[Record, AuditEntry]:
    if action not in TRANSITIONS:
        raise KioskError("不支持的操作", detail=f"unknown action {action!r}")
    allowed, target = TRANSITIONS[action]
    if record.state not in allowed:
        raise KioskError(f"当前状态（{STATE_LABELS[record.state]}）不能执行此操作",
                         detail=f"{action} not allowed from {record.state.value}")
    required = REQUIRED_DETAILS.get(action, ())
    if (action, record.state) in OPERATOR_ONLY:
        if not actor.startswith("operator:"):
            raise KioskError("此操作须由工作人员完成", detail=f"{action} from {record.state.value} by {actor!r}")
        required = (*required, *OPERATOR_ONLY[(action, record.state)])
    for key in required:
        if not str(details.get(key, "")).strip():
            raise KioskError("请填写退回修改的原因" if action == "revise" else MISSING_DETAIL[key],
                             detail=f"{action} needs {key}")
    now = now or utcnow()
    changes: dict = {"state": target, "updated_at": now}
    if action == "correct":
        changes.update(_corrected(details.pop("changes", None)))
        details["fields"] = sorted(k for k in changes if k in CORRECTABLE)  # names only: values are personal data
    if action in ("print", "reprint"):
        changes["print_count"] = record.print_count + 1
        details = {**details, "print_count": record.print_count + 1}
    if action in ("approve_correction", "revise", "correct"):
        # the changed content is a new version: within one version the submitted content never changes, which
        # is what sync's idempotency (same id + version + different content = conflict) relies on
        changes["version"] = record.version + 1
    new = record.model_validate({**record.model_dump(), **changes}) if action == "correct" else \
        record.model_copy(update=changes)
    entry = AuditEntry(str(record.record_id), action, actor, record.state.value, target.value, new.version, now,
                       dict(details))
    return new, entry


def _corrected(changes) -> dict:
    if not isinstance(changes, dict) or not changes:
        raise KioskError("更正内容为空", detail="correct without changes")
    outside = set(changes) - CORRECTABLE
    if outside:
        raise KioskError("更正内容包含不允许更正的字段", detail=f"correct of {sorted(outside)}")
    if not all(isinstance(v, str) for v in changes.values()):
        raise KioskError("更正内容格式不正确", detail="correct with non-text values")
    return dict(changes)


def edit(record: Record, now: dt.datetime | None = None, **changes) -> Record:
    """Changes the student's entries; only in draft, never the chip's identity or bookkeeping fields."""
    forbidden = set(changes) & {"identity", "record_id", "state", "version", "print_count", "created_at"}
    if forbidden:
        raise KioskError("身份证信息等字段不能修改", detail=f"edit of protected fields {sorted(forbidden)}")
    if record.state is not S.DRAFT:
        raise KioskError(f"当前状态（{STATE_LABELS[record.state]}）不能修改信息",
                         detail=f"edit in state {record.state.value}")
    return record.model_validate({**record.model_dump(), **changes, "updated_at": now or utcnow()})
