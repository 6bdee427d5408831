"""The registration session: the step machine a student walks through, driven by the UI or by a scripted robot.

attract -> identity -> category -> guardians -> history -> contact -> photo -> document -> review -> password ->
print -> done. The draft is saved after every accepted step, so a crash or a walk-away loses nothing: laying the
same card again resumes the draft. An idle timeout wipes the session (not the saved draft) back to attract.

The session owns the flow to its end: it prints the form (with a retry and the print audit), takes the operator's
sign-off, offers a reprint when the card of a printed, unsigned record is laid again (never a silent reopen), and
lets only an operator send a printed record back to draft. A student without an ID card starts through the
operator (assisted_start: the identity typed from the household register page, marked operator-verified). While the
terminal is paused, or an operator is using it, no card starts a registration. Devices stay outside: the session receives a read
IdentityCard, the finished photo and document (with what the staff should look at), and a Printer to print on.
Every state change goes through Store.apply; every write calls the `on_saved` hook (the wiring kicks sync there).

This module holds the student's steps and the session's state; the print and the staff's part are the mixin in
kiosk.session_staff, the push-check and face-match helpers are in kiosk.session_checks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.clock import Clock, utcnow
from kiosk.eligibility import Roster, Terminal, check_eligibility
from kiosk.errors import KioskError, SealBroken
from kiosk.identity import IdentityCard
from kiosk.policy import Policy
from kiosk.record import (Guardian, OperatorNote, Record, RecordState, StudyEntry, edit, hash_password,
                          password_problem, validate_record)
from kiosk.record.model import Identity
from kiosk.session_checks import match_faces, server_errors
from kiosk.session_staff import StaffSteps
from kiosk.steps import CARD_STEPS, ORDER, PROMPTS, STEP_FIELDS, Step
from kiosk.store import Store

if TYPE_CHECKING:  # the session needs only their attributes, not OpenCV or MediaPipe
    from kiosk.document import DocumentImage
    from kiosk.form.printing import PrintOutcome
    from kiosk.password_reuse import PasswordBook
    from kiosk.photo import FaceMatch, FinalPhoto

log = logging.getLogger(__name__)

PAUSED_PROMPT = "暂停服务，请稍候或联系工作人员"
# DONE after a corrected form's reprint: the record stays signed; the operator only takes in the new paper
CORRECTED_PROMPT = "更正后的登记表已打印，请核对签字后交给工作人员（原登记表作废）"


@dataclass
class RegistrationSession(StaffSteps):
    policy: Policy
    terminal: Terminal
    store: Store
    roster: Roster | None = None
    clock: Clock = utcnow
    idle_timeout: dt.timedelta = dt.timedelta(seconds=120)
    on_saved: Callable[[Record], None] | None = None  # after every write (the wiring kicks the sync worker)
    print_timeout: float = 90.0
    policies: Callable[[], Policy] | None = None  # the policy to apply from the next card on (pulled config)
    face_matcher: Callable[[bytes, bytes], FaceMatch] | None = None  # kiosk.photo.match_faces (the wiring's); slow
    passwords: Callable[[], PasswordBook] | None = None  # the school's password fingerprints (pulled config)

    step: Step = Step.ATTRACT
    card: IdentityCard | None = None
    record: Record | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field path -> Chinese message, for the current step
    refusal: list[str] = field(default_factory=list)
    last_activity: dt.datetime | None = None
    fixing: bool = False  # came back from review to fix one step: return to review after it
    print_outcome: PrintOutcome | None = None  # the last print attempt (its job's messages for the screen)
    paused: bool = False  # the operator paused the terminal: the attract screen says so, cards are refused
    operator_present: bool = False  # operator mode is open: a card laid now is not a student's start

    # -- flow -----------------------------------------------------------------------------------------------------
    @property
    def prompt(self) -> str:
        if self.paused and self.step is Step.ATTRACT:
            return PAUSED_PROMPT
        if self.already_signed:
            return CORRECTED_PROMPT
        return PROMPTS.get(self.step, "")

    @property
    def accepts_card(self) -> bool:
        """Whether a card laid now starts a registration (not in the middle of someone else's)."""
        return self.step in CARD_STEPS and not self.paused and not self.operator_present

    def tick(self) -> None:
        """Called by the UI's clock: after idle_timeout without a touch, wipe the screen state back to attract."""
        if self.step is not Step.ATTRACT and self.last_activity and self.clock() - self.last_activity > self.idle_timeout:
            log.info("session idle timeout", extra={"fields": {"step": self.step.value}})
            self.reset()

    def reset(self) -> None:
        self.step, self.card, self.record, self.errors, self.refusal = Step.ATTRACT, None, None, {}, []
        self.last_activity, self.fixing, self.print_outcome = None, False, None

    def card_read(self, card: IdentityCard, category: str) -> Step:
        """The chip was read. Checks eligibility; resumes an unfinished draft of this student if there is one; a
        printed, unsigned record shows the hand-in message with a reprint. Ignored in someone else's registration."""
        if not self.accepts_card:
            log.info("card laid mid-registration ignored", extra={"fields": {"step": self.step.value}})
            return self.step
        if self.step in (Step.DONE, Step.PRINTED) and self.card is not None and card.id_number == self.card.id_number:
            return self.step  # the same card read again (the reader came back) while its student is still here
        self._start()
        try:
            return self._card_read(card, category)
        except SealBroken as exc:
            return self._halt(exc)

    def _card_read(self, card: IdentityCard, category: str) -> Step:
        from kiosk.corrections import awaiting_reprint_for

        corrected = awaiting_reprint_for(self.store, card.id_number, self.policy.name)
        if corrected is not None:  # an approved correction of the signed record: its new form is to be printed
            self.card, self.record, self.step = card, corrected, Step.PRINTED
            return self.step
        result = check_eligibility(card, self.policy, category, self.terminal, self.clock(), self.roster, self.store)
        if not result.allowed:
            self.step, self.card, self.refusal = Step.REFUSED, card, result.problems
            return self.step
        self.card = card
        existing = [r for r in self.store.find_by_id_number(card.id_number)
                    if r.policy == self.policy.name and not r.locked]
        if existing:
            self.record = max(existing, key=lambda r: r.updated_at)
            if self.record.state is RecordState.PRINTED:
                self.step = Step.PRINTED  # the paper is out: hand it in or reprint it; only staff reopen it
                return self.step
            if self.record.state is RecordState.SUBMITTED:
                self._apply("revise", "student")  # not printed yet: back to editing, a new version
        else:
            entry, now = result.roster_entry, self.clock()
            self.record = Record(policy=self.policy.name, category=category, terminal_id=self.terminal.terminal_id,
                                 identity=Identity.of(card), school_code=entry.school_code if entry else "",
                                 student_number=entry.student_number if entry else "", created_at=now,
                                 updated_at=now)
            self._save()
        self.step = Step.IDENTITY
        return self.step

    def confirm_identity(self) -> Step:
        return self._advance_from(Step.IDENTITY)

    def set_category(self, *, category: str = "", school_code: str = "", school_name: str = "",
                     student_number: str = "", claims: list[str] | None = None) -> Step:
        """The school and claims; `category` another category picked on screen: eligibility is checked again for it
        (window, terminal role, roster), and the student stays on the step with its reasons when it is not open."""
        self._touch()
        self._require(Step.CATEGORY)
        changes = {}
        if category and category != self.record.category:
            result = check_eligibility(self.card, self.policy, category, self.terminal, self.clock(), self.roster,
                                       self.store)
            if not result.allowed:
                self.errors = {"category": "；".join(result.problems)}
                return self.step
            entry = result.roster_entry
            changes = {"category": category, "school_code": entry.school_code if entry else "",
                       "student_number": entry.student_number if entry else ""}
        school_code = school_code or changes.pop("school_code", "") or self.record.school_code
        student_number = student_number or changes.pop("student_number", "") or self.record.student_number
        return self._edit_and_advance(Step.CATEGORY, school_code=school_code, school_name=school_name,
                                      claims=list(claims or []), student_number=student_number, **changes)

    def set_guardians(self, guardians: list[Guardian]) -> Step:
        return self._edit_and_advance(Step.GUARDIANS, guardians=list(guardians))

    def set_history(self, entries: list[StudyEntry]) -> Step:
        return self._edit_and_advance(Step.HISTORY, study_history=list(entries))

    def set_contact(self, phone: str, address: str) -> Step:
        return self._edit_and_advance(Step.CONTACT, contact_phone=phone, home_address=address)

    def photo_taken(self, photo: FinalPhoto, confirmed: Iterable[str] = ()) -> Step:
        """The chosen photo with the questions the student answered yes; every question must be answered. The
        answers and the photo's operator warnings (possible recapture) are stored on the record."""
        self._touch()
        self._require(Step.PHOTO)
        confirmed = set(confirmed)
        missing = [c.message for c in photo.confirmations if c.code not in confirmed]
        if missing:
            self.errors = {"photo": "请确认：" + "；".join(missing)}
            return self.step
        notes = [OperatorNote(source="photo", code=w.code, message=w.message) for w in photo.operator_warnings]
        step = self._attach(Step.PHOTO, "photo", photo.jpeg, photo_confirmed=[c.code for c in photo.confirmations],
                            operator_notes=self._notes_besides("photo") + notes)
        scan = None if self.errors else self.attachment("document")
        face = self.face_match(scan) if scan else None  # retaken after the card scan: the old match is stale
        if face is not None:
            kept = [n for n in self.record.operator_notes
                    if not (n.source == "document" and n.code.startswith("face_"))]
            new = ([OperatorNote(source="document", code=face.warning.code, message=face.warning.message)]
                   if face.warning else [])  # a match carries no warning
            self.record = edit(self.record, self.clock(), operator_notes=kept + new)
            self._save()
        return step

    def face_match(self, document: DocumentImage | bytes) -> FaceMatch | None:
        """The saved photo matched to the portrait on the scanned ID card (the face model loads on the first match):
        call it off the UI thread, with the scan, and hand the result to document_scanned. None when there is nothing to
        match: no matcher, no photo yet, or the household register page (the assisted path has no portrait)."""
        if self.face_matcher is None or self.record is None or self.record.operator_verified:
            return None
        photo = self.attachment("photo")
        if photo is None:
            return None
        return match_faces(self.face_matcher, photo, document if isinstance(document, bytes) else document.jpeg)

    def document_scanned(self, document: DocumentImage, face: FaceMatch | None = None) -> Step:
        """The finished document image; its warnings (OCR mismatch) and the face match's (face_match(document),
        anything but "same") are stored on the record for the staff, never a refusal."""
        warnings = list(document.warnings) + ([face.warning] if face is not None and face.warning else [])
        notes = [OperatorNote(source="document", code=w.code, message=w.message) for w in warnings]
        return self._attach(Step.DOCUMENT, "document", document.jpeg,
                            operator_notes=self._notes_besides("document") + notes)

    def go_back_to(self, step: Step) -> Step:
        """From review, the student may return to any data step to fix it."""
        self._touch()
        if self.step is not Step.REVIEW or step not in STEP_FIELDS:
            raise KioskError("当前不能返回修改", detail=f"go back from {self.step.value} to {step.value}")
        self.step, self.fixing = step, True
        return step

    def confirm_review(self) -> Step:
        self._touch()
        self._require(Step.REVIEW)
        errors = {k: v for k, v in self._validate().items() if not k.startswith("password")} or self._server_errors()
        if errors:
            self.errors = errors
            return self.step
        return self._advance_from(Step.REVIEW)

    def set_password(self, password: str, repeated: str) -> Step:
        """The student's own password; then the record is submitted (saved, queued for sync) for printing."""
        self._touch()
        self._require(Step.PASSWORD)
        problem = password_problem(password, self.record.id_number, self.record.card.birth_date.isoformat())
        if password != repeated:
            problem = "两次输入的密码不一致，请重新输入"
        fingerprint = ""  # kiosk.password_reuse: another student of the school holds this password
        if not problem and self.passwords is not None:
            problem, fingerprint = self.passwords().check(password, self.record.id_number, self.store)
        if problem:
            self.errors = {"password": problem}
            return self.step
        self.record = edit(self.record, self.clock(), password_hash=hash_password(password),
                           password_fingerprint=fingerprint)
        errors = self._validate() or self._server_errors()
        if errors:  # cannot happen after review unless data changed underneath; never submit an invalid record
            self.errors = errors
            return self.step
        self._save()
        self._apply("submit", "student")
        self.errors, self.step = {}, Step.PRINT
        return self.step

    def attachment(self, kind: str) -> bytes | None:
        """The record's photo or document for the review screen (None when not taken); a broken seal stops the
        flow (step REFUSED with the operator message) instead of showing an empty frame."""
        if self.record is None:
            return None
        try:
            return self.store.attachment_or_none(self.record.record_id, kind)
        except SealBroken as exc:
            self._halt(exc)
            return None

    def touch(self) -> None:
        """Any touch or key press counts as activity for the idle timeout, not only finished steps."""
        if self.step is not Step.ATTRACT:
            self._touch()

    # -- helpers --------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        """A new student: a clean session on the policy to apply now (the pulled one when there is one)."""
        self.reset()
        self._touch()
        if self.policies is not None:
            self.policy = self.policies()

    def _touch(self) -> None:
        self.last_activity = self.clock()

    def _require(self, step: Step) -> None:
        if self.step is not step:
            raise KioskError("操作顺序不正确，请按屏幕提示操作", detail=f"expected {step.value}, at {self.step.value}")

    def _halt(self, exc: SealBroken) -> Step:
        """Stored data failed its check: nothing more for this record until the staff look at the terminal."""
        log.error("stored data failed its seal check; flow stopped", extra={"fields": {"detail": exc.detail}})
        self.step, self.record, self.refusal, self.errors = Step.REFUSED, None, [exc.message], {}
        return self.step

    def _validate(self) -> dict[str, str]:
        return validate_record(self.record, self.policy, self.clock().astimezone(self.policy.tz).date())

    def _server_errors(self) -> dict[str, str]:
        return server_errors(self.record)  # kiosk.session_checks: central's push checks as step messages

    def _step_errors(self, step: Step) -> dict[str, str]:
        prefixes = STEP_FIELDS.get(step, ())
        return {k: v for k, v in self._validate().items() if k.startswith(prefixes)}

    def _advance_from(self, step: Step) -> Step:
        self._touch()
        self._require(step)
        self.errors = self._step_errors(step)
        if not self.errors:
            self.step = ORDER[ORDER.index(step) + 1]
        return self.step

    def _edit_and_advance(self, step: Step, **changes) -> Step:
        self._touch()
        self._require(step)
        candidate = edit(self.record, self.clock(), **changes)
        previous, self.record = self.record, candidate
        self.errors = self._step_errors(step)
        if self.errors:
            self.record = previous  # keep what was saved; the screen keeps what was typed
            return self.step
        self._save()
        return self._next(step)

    def _next(self, step: Step) -> Step:
        self.step = Step.REVIEW if self.fixing else ORDER[ORDER.index(step) + 1]
        if self.step is Step.DOCUMENT and self.record.operator_verified and self.record.document_sha256:
            self.step = Step.REVIEW  # the operator scanned the household register page already
        self.fixing = False
        return self.step

    def _notes_besides(self, source: str) -> list[OperatorNote]:
        return [n for n in self.record.operator_notes if n.source != source]

    def _attach(self, step: Step, kind: str, jpeg: bytes, **changes) -> Step:
        self._touch()
        self._require(step)
        if not jpeg.startswith(b"\xff\xd8"):
            self.errors = {kind: "图像格式不正确，请重新采集"}
            return self.step
        self.record = edit(self.record, self.clock(), **{f"{kind}_sha256": hashlib.sha256(jpeg).hexdigest()},
                           **changes)
        self._save(**{kind: jpeg})
        self.errors = {}
        return self._next(step)

    def _save(self, **attachments: bytes) -> None:
        self.store.save(self.record, **attachments)
        self._saved()

    def _apply(self, action: str, actor: str, **details) -> None:
        self.record = self.store.apply(self.record.record_id, action, actor, **details)
        self._saved()

    def _saved(self) -> None:
        if self.on_saved is not None:
            try:
                self.on_saved(self.record)
            except Exception:  # noqa: BLE001 - a hook must never lose the student's step
                log.exception("on_saved hook failed")

