"""The end of the registration flow and the staff's part of it: printing the form (a retry, every attempt
audited), the reprint offered when the card of a printed, unsigned record is laid again, the operator's sign-off
(or, after a corrected form's reprint, the new paper's hand-in) and send-back-to-draft, and the assisted start of a student without an ID card.

`StaffSteps` is a mixin of kiosk.session.RegistrationSession: it keeps no state of its own and uses the session's
(store, record, step, clock) and helpers (_start, _touch, _require, _apply, _save, _halt, _card_read).
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from kiosk.errors import KioskError, SealBroken
from kiosk.record import AuditEntry, OperatorNote, Record, RecordState, edit
from kiosk.record.lifecycle import operator_actor
from kiosk.steps import CARD_STEPS, Step

if TYPE_CHECKING:  # the session needs only their attributes, not CUPS, OpenCV or MediaPipe
    from kiosk.devices.printer import Printer
    from kiosk.document import DocumentImage
    from kiosk.identity import IdentityCard

PRINT_ATTEMPTS = 2  # a transient failure (Retry.NOW) is tried once more before the student sees it


class StaffSteps:
    """Print, reprint, sign, reopen and the assisted start (see the module's docstring)."""

    def print_form(self, printer: Printer) -> Step:
        """Prints the form (a transient failure is tried once more); every attempt is audited. Printed: done.
        Not printed: the step stays PRINT with the job's message in errors["print"]; 重新打印 calls this again."""
        from kiosk.form.printing import PrintService
        from kiosk.form.signing import terminal_signer

        self._touch()
        self._require(Step.PRINT)
        service = PrintService(self.store, printer, terminal_signer(self.store), policy=self.policy,
                               clock=self.clock, timeout=self.print_timeout, terminal_id=self.terminal.terminal_id)
        try:
            outcome = service.print_with_retries(self.record.record_id, "student", attempts=PRINT_ATTEMPTS)
        except SealBroken as exc:
            return self._halt(exc)
        self.print_outcome = outcome
        self._touch()
        if outcome.ok:
            self.record, self.errors, self.step = outcome.record, {}, Step.DONE
            self._saved()
        else:
            self.errors = {"print": outcome.job.student_message or "打印失败，请联系工作人员"}
        return self.step

    def reprint(self) -> Step:
        """From the printed screen (the card of a printed record laid again): print the form once more (counted)."""
        self._touch()
        self._require(Step.PRINTED)
        self.errors, self.step = {}, Step.PRINT
        return self.step

    def operator_sign(self, operator: str) -> Record:
        """The operator confirms the signed paper: the record is locked. `operator` is the operator's id. After a
        corrected form's reprint the record is signed already (locked since before the correction): the operator's
        confirmation records that the new paper was handed in (kiosk.corrections.confirm_hand_in), no refusal."""
        from kiosk.corrections import confirm_hand_in

        self._touch()
        if self.record is None or self.step not in (Step.DONE, Step.PRINTED):
            raise KioskError("请先完成打印，再由工作人员确认签字", detail=f"sign at {self.step.value}")
        if self.record.state is RecordState.SIGNED:
            self.record = confirm_hand_in(self.store, self.record.record_id, operator_actor(operator))
            return self.record
        self._apply("sign", operator_actor(operator))
        return self.record

    @property
    def already_signed(self) -> bool:
        """The step is DONE after a corrected form's reprint: the record stays signed, nothing to sign again."""
        return self.step is Step.DONE and self.record is not None and self.record.state is RecordState.SIGNED

    def operator_reopen(self, operator: str, reason: str) -> Step:
        """Only an operator sends a printed record back to draft (the old paper taken back), with a reason; the
        student then edits a new version from the identity step."""
        self._touch()
        if self.record is None or self.step not in (Step.DONE, Step.PRINTED):
            raise KioskError("当前没有已打印的登记表", detail=f"reopen at {self.step.value}")
        self._apply("revise", operator_actor(operator), reason=reason)
        self.errors, self.step = {}, Step.IDENTITY
        return self.step

    def assisted_start(self, operator: str, card: IdentityCard, document: DocumentImage, category: str) -> Step:
        """A student without an ID card: the operator typed the identity from the household register page (the
        card built by kiosk.operator.assisted_card) and scanned that page as the document. Eligibility as for a
        card; the record is marked operator-verified (audited); the student continues from the category step."""
        actor = operator_actor(operator)
        if self.paused or self.step not in CARD_STEPS:
            raise KioskError("当前不能开始采集", detail=f"assisted start at {self.step.value}")
        self._start()
        try:
            step = self._card_read(card, category)
            if step is not Step.IDENTITY:
                return step
            notes = [OperatorNote(source="document", code=w.code, message=w.message) for w in document.warnings]
            self.record = edit(self.record, self.clock(), operator_verified=actor.removeprefix("operator:"),
                               document_sha256=hashlib.sha256(document.jpeg).hexdigest(),
                               operator_notes=self._notes_besides("document") + notes)
            self._save(document=document.jpeg)
        except SealBroken as exc:
            return self._halt(exc)
        self.store.append_audit(AuditEntry(str(self.record.record_id), "verify_identity", actor,
                                           self.record.state.value, self.record.state.value, self.record.version,
                                           self.clock(), {"document": "household_register"}))
        self.errors, self.step = {}, Step.CATEGORY
        return self.step
