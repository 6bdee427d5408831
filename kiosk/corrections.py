"""Approved corrections from central, applied to the terminal's signed records, and the reprint they call for.

An authority approved the correction in central's console; the terminal receives it in its config pull
(kiosk.wire.Correction) and applies it through Store.apply with the lifecycle's "correct" transition: the record
stays signed (locked for the student), the corrected fields become the new version, the audit names the approver.
Before anything is saved the result is checked against what central holds (the version and the content hash), so
both sides hold the same content; a correction this terminal cannot apply is refused with a code, never half-done.

Idempotent across restarts and a crash mid-apply: Store.apply is one transaction, and a correction whose version
and content the record already has is "applied" again (acknowledged, nothing saved twice). The sync worker sends
the acknowledgements; central then stops sending the correction.

The corrected version's form is printed once more (the session's reprint path, kiosk.form.printing's "reprint"),
while awaiting_reprint() says so (the retention purge keeps the record meanwhile); the reprinted QR and footer carry
the new version. The record stays signed: the operator then confirms the new paper was handed in
(confirm_hand_in, audited "receive_paper"), never signs it again.

A refusal is audited on the terminal ("correction_refused", the code only) and shown in the operator's end-of-day
problems (refusal_problem); central does not send it again until an authority re-sends or withdraws it.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from pydantic import ValidationError

from kiosk.errors import KioskError, NotFound
from kiosk.identity import mask_id
from kiosk.policy import Policy, get_policy
from kiosk.record import CORRECTABLE, AuditEntry, Record, RecordState, validate_record
from kiosk.store import preview
from kiosk.wire import Correction, CorrectionAck, push_problem

log = logging.getLogger(__name__)
ACTOR = "central"
# Chinese, for the terminal's operator (and the log); the codes go back to central (kiosk.wire.RefusalCode)
REFUSALS = {"not_held": "本终端没有该考生记录", "version_moved": "本终端的记录已有其他新版本，不能应用此更正",
            "content_differs": "本终端的记录与中心的记录不一致，不能应用此更正",
            "bad_fields": "更正内容不符合要求，不能应用"}
REFUSED = "correction_refused"  # audit actions: a refusal, the new paper handed in after the corrected reprint
HANDED_IN = "receive_paper"


def apply_correction(store, correction: Correction, policies: Callable[[str], Policy] = get_policy,
                     today: dt.date | None = None) -> CorrectionAck:
    """Applies one approved correction (or finds it applied); an "applied" or "refused" acknowledgement."""
    rid = str(correction.record_id)

    def refused(code: str, version: int, detail: str) -> CorrectionAck:
        log.warning("correction refused", extra={"fields": {"correction_id": correction.correction_id,
                                                            "record_id": rid, "code": code, "detail": detail}})
        _audit_refusal(store, rid, correction.correction_id, code, version)
        return CorrectionAck(correction_id=correction.correction_id, outcome="refused", version=version, code=code)

    try:
        record = store.get(rid)
    except NotFound:
        return refused("not_held", 0, "no such record here")
    if record.version == correction.version and record.content_hash() == correction.content_hash:
        return CorrectionAck(correction_id=correction.correction_id, outcome="applied", version=record.version)
    if record.state is not RecordState.SIGNED or record.version != correction.from_version \
            or correction.version != correction.from_version + 1:
        return refused("version_moved", record.version, f"record at v{record.version} {record.state.value}, "
                                                        f"correction v{correction.from_version}->v{correction.version}")
    problem = _fields_problem(record, correction, policies, today)
    if problem:
        return refused("bad_fields", record.version, problem)
    corrected = store.preview(record, "correct", ACTOR, **_details(correction))
    if corrected.content_hash() != correction.content_hash:
        return refused("content_differs", record.version, "corrected content hash differs from central's")
    new = store.apply(rid, "correct", ACTOR, **_details(correction))
    log.info("correction applied", extra={"fields": {"correction_id": correction.correction_id, "record_id": rid,
                                                     "version": new.version}})
    return CorrectionAck(correction_id=correction.correction_id, outcome="applied", version=new.version)


def _audit_refusal(store, rid: str, correction_id: int, code: str, version: int) -> None:
    """Once per refusal: the same correction refused again (its acknowledgement not taken yet) adds nothing."""
    details = {"correction_id": correction_id, "code": code}
    entries = store.audit_entries(rid)
    if entries and entries[-1].action == REFUSED and entries[-1].details == details:
        return
    state = entries[-1].to_state if entries else ""
    store.append_audit(AuditEntry(rid, REFUSED, ACTOR, state, state, version, store.clock(), details))


def refusal_problem(store, entry: AuditEntry) -> str:
    """Chinese, for the operator's problems: which record (the ID tail only) and why the correction was refused."""
    try:
        who = mask_id(store.get(entry.record_id).id_number)
    except NotFound:
        who = "本终端已无此记录"
    reason = REFUSALS.get(entry.details.get("code", ""), "不能应用")
    return f"{who}：中心下发的更正未能应用（{reason}），请联系上级教育行政部门重新下发或撤回"


def apply_corrections(store, corrections: Iterable[Correction], policies: Callable[[str], Policy] = get_policy,
                      today: dt.date | None = None) -> list[CorrectionAck]:
    return [apply_correction(store, c, policies, today) for c in corrections]


def _details(correction: Correction) -> dict:
    return {"approver": correction.approver or "central", "changes": dict(correction.changes),
            "correction_id": correction.correction_id, "approved_at": correction.approved_at.isoformat()}


def correction_problems(record: Record, changes: dict, policy: Policy | None,
                        today: dt.date | None = None) -> dict[str, str]:
    """Field -> Chinese message for corrected values the record cannot take ({} when it can): the lifecycle's and
    the push rules' checks, and the policy's field validation of the changed fields. Central's console runs the
    same when a school asks for the correction, so an approved correction is one the terminal applies."""
    outside = set(changes) - CORRECTABLE
    if outside:
        return {k: "该项不能通过更正申请修改" for k in sorted(outside)}
    try:
        corrected = preview(record, "correct", ACTOR, approver="check", changes=dict(changes))
    except (KioskError, ValidationError) as exc:
        return {"changes": getattr(exc, "message", "") or "更正内容格式不正确"}
    rejection = push_problem(corrected)
    if rejection:
        return {"changes": rejection.message}
    if policy is None:
        return {}
    errors = validate_record(corrected, policy, today or dt.date.today())
    return {k: v for k, v in errors.items() if k.split("[")[0].split(".")[0] in changes}


def _fields_problem(record: Record, correction: Correction, policies, today: dt.date | None) -> str:
    """English, for the log: why the corrected values cannot be taken ('' when they can)."""
    try:
        policy = policies(record.policy)
    except KioskError:
        return "unknown policy"
    bad = correction_problems(record, correction.changes, policy, today)
    return f"invalid values for {sorted(bad)}" if bad else ""


def awaiting_reprint(store, record: Record) -> bool:
    """A signed record whose current version came from a correction and has not been printed since."""
    if record.state is not RecordState.SIGNED:
        return False
    for entry in reversed(store.audit_entries(record.record_id)):
        if entry.version != record.version:
            return False
        if entry.action == "reprint":
            return False
        if entry.action == "correct":
            return True
    return False


def awaiting_hand_in(store, record: Record) -> bool:
    """A signed record whose corrected form was reprinted and whose new paper no operator has confirmed yet."""
    if record.state is not RecordState.SIGNED:
        return False
    reprinted = False
    for entry in reversed(store.audit_entries(record.record_id)):
        if entry.version != record.version or entry.action == HANDED_IN:
            return False
        if entry.action == "reprint":
            reprinted = True
        if entry.action == "correct":
            return reprinted
    return False


def confirm_hand_in(store, record_id, actor: str) -> Record:
    """The operator has the corrected form's new paper: audited; the record stays signed (nothing to sign again).
    Confirmed already: nothing more happens."""
    record = store.get(record_id)
    if awaiting_hand_in(store, record):
        store.append_audit(AuditEntry(str(record.record_id), HANDED_IN, actor, record.state.value, record.state.value,
                                      record.version, store.clock(), {"after": "correct"}))
    return record


def awaiting_reprint_for(store, id_number: str, policy: str) -> Record | None:
    """The candidate's corrected, signed record of this policy whose new form is still to be printed, if any."""
    for record in store.find_by_id_number(id_number):
        if record.policy == policy and awaiting_reprint(store, record):
            return record
    return None
