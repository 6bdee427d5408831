"""The registration session: the step machine a student walks through, driven by the UI or by a scripted robot.

attract -> identity -> category -> guardians -> history -> contact -> photo -> document -> review -> password ->
print -> done. The draft is saved after every accepted step, so a crash or a walk-away loses nothing: laying the
same card again resumes the draft. An idle timeout wipes the session (not the saved draft) back to attract.
Devices stay outside: the session receives a read IdentityCard, finished JPEG bytes, and a print outcome.
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.eligibility import Roster, Terminal, check_eligibility
from kiosk.errors import KioskError
from kiosk.identity import IdentityCard
from kiosk.policy import Policy
from kiosk.record import (Guardian, Record, RecordState, StudyEntry, edit, hash_password, password_problem,
                          validate_record)
from kiosk.record.lifecycle import transition
from kiosk.store import Store

log = logging.getLogger(__name__)


class Step(str, enum.Enum):
    ATTRACT = "attract"
    REFUSED = "refused"  # eligibility said no: the reasons are shown, then back to attract
    IDENTITY = "identity"
    CATEGORY = "category"
    GUARDIANS = "guardians"
    HISTORY = "history"
    CONTACT = "contact"
    PHOTO = "photo"
    DOCUMENT = "document"
    REVIEW = "review"
    PASSWORD = "password"
    PRINT = "print"
    DONE = "done"


ORDER = [Step.IDENTITY, Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT, Step.PHOTO, Step.DOCUMENT,
         Step.REVIEW, Step.PASSWORD, Step.PRINT, Step.DONE]

# Which validation errors belong to which step (by field path prefix).
STEP_FIELDS = {
    Step.CATEGORY: ("category", "school_code", "school_name", "student_number", "claims", "policy"),
    Step.GUARDIANS: ("guardians",),
    Step.HISTORY: ("study_history",),
    Step.CONTACT: ("contact_phone", "home_address"),
    Step.PHOTO: ("photo",),
    Step.DOCUMENT: ("document",),
    Step.PASSWORD: ("password",),
}

PROMPTS = {
    Step.ATTRACT: "请将身份证放在感应区",
    Step.IDENTITY: "请核对身份证信息，无误后点击“下一步”",
    Step.CATEGORY: "请选择报考类别并核对学校信息",
    Step.GUARDIANS: "请填写监护人信息（先父亲、后母亲）",
    Step.HISTORY: "请填写学习简历（从最近的学校开始）",
    Step.CONTACT: "请填写本人联系电话和家庭住址",
    Step.PHOTO: "请正对摄像头，按提示调整位置",
    Step.DOCUMENT: "请将身份证正面朝上放在扫描区",
    Step.REVIEW: "请仔细核对全部信息",
    Step.PASSWORD: "请设置只有你自己知道的登录密码",
    Step.PRINT: "正在打印报名登记表",
    Step.DONE: "请与监护人核对并签字后，将登记表交给工作人员",
}


@dataclass
class RegistrationSession:
    policy: Policy
    terminal: Terminal
    store: Store
    roster: Roster | None = None
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    idle_timeout: dt.timedelta = dt.timedelta(seconds=120)

    step: Step = Step.ATTRACT
    card: IdentityCard | None = None
    record: Record | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field path -> Chinese message, for the current step
    refusal: list[str] = field(default_factory=list)
    last_activity: dt.datetime | None = None
    fixing: bool = False  # came back from review to fix one step: return to review after it

    # -- flow -----------------------------------------------------------------------------------------------------
    @property
    def prompt(self) -> str:
        return PROMPTS.get(self.step, "")

    def tick(self) -> None:
        """Called by the UI's clock: after idle_timeout without a touch, wipe the screen state back to attract."""
        if self.step is not Step.ATTRACT and self.last_activity and self.clock() - self.last_activity > self.idle_timeout:
            log.info("session idle timeout", extra={"fields": {"step": self.step.value}})
            self.reset()

    def reset(self) -> None:
        self.step, self.card, self.record, self.errors, self.refusal = Step.ATTRACT, None, None, {}, []
        self.last_activity, self.fixing = None, False

    def card_read(self, card: IdentityCard, category: str) -> Step:
        """The chip was read. Checks eligibility; resumes an unfinished draft of this student if there is one."""
        self._touch()
        now = self.clock()
        result = check_eligibility(card, self.policy, category, self.terminal, now, self.roster, self.store)
        if not result.allowed:
            self.step, self.card, self.refusal = Step.REFUSED, card, result.problems
            return self.step
        self.card, self.refusal = card, []
        existing = [r for r in self.store.find_by_id_number(card.id_number)
                    if r.policy == self.policy.name and not r.locked]
        if existing:
            self.record = max(existing, key=lambda r: r.updated_at)
            if self.record.state is not RecordState.DRAFT:
                self.record = self._transition("revise", "student")  # back to editing: a new version
        else:
            entry = result.roster_entry
            self.record = Record(policy=self.policy.name, category=category, terminal_id=self.terminal.terminal_id,
                                 identity=card.as_json(), school_code=entry.school_code if entry else "",
                                 student_number=entry.student_number if entry else "")
            self.store.save(self.record)
        self.step = Step.IDENTITY
        return self.step

    def confirm_identity(self) -> Step:
        return self._advance_from(Step.IDENTITY)

    def set_category(self, *, school_code: str = "", school_name: str = "", student_number: str = "",
                     claims: list[str] | None = None) -> Step:
        return self._edit_and_advance(Step.CATEGORY, school_code=school_code or self.record.school_code,
                                      school_name=school_name, claims=list(claims or []),
                                      student_number=student_number or self.record.student_number)

    def set_guardians(self, guardians: list[Guardian]) -> Step:
        return self._edit_and_advance(Step.GUARDIANS, guardians=list(guardians))

    def set_history(self, entries: list[StudyEntry]) -> Step:
        return self._edit_and_advance(Step.HISTORY, study_history=list(entries))

    def set_contact(self, phone: str, address: str) -> Step:
        return self._edit_and_advance(Step.CONTACT, contact_phone=phone, home_address=address)

    def photo_taken(self, jpeg: bytes) -> Step:
        return self._attach(Step.PHOTO, "photo", jpeg)

    def document_scanned(self, jpeg: bytes) -> Step:
        return self._attach(Step.DOCUMENT, "document", jpeg)

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
        errors = {k: v for k, v in self._validate().items() if not k.startswith("password")}
        if errors:
            self.errors = errors
            return self.step
        return self._advance_from(Step.REVIEW)

    def set_password(self, password: str, repeated: str) -> Step:
        """The student's own password; then the record is submitted (saved, queued for sync) for printing."""
        self._touch()
        self._require(Step.PASSWORD)
        problem = password_problem(password, self.record.id_number, self.record.identity.get("birth_date", ""))
        if password != repeated:
            problem = "两次输入的密码不一致，请重新输入"
        if problem:
            self.errors = {"password": problem}
            return self.step
        self.record = edit(self.record, password_hash=hash_password(password))
        errors = self._validate()
        if errors:  # cannot happen after review unless data changed underneath; never submit an invalid record
            self.errors = errors
            return self.step
        self.store.save(self.record)
        self.record = self._transition("submit", "student")
        self.errors, self.step = {}, Step.PRINT
        return self.step

    def printed(self, *, ok: bool) -> Step:
        """The print service reports the outcome; on success the record is printed and the student is done."""
        self._touch()
        self._require(Step.PRINT)
        if ok:
            self.record = self.store.get(self.record.record_id)
            self.step = Step.DONE
        return self.step

    def touch(self) -> None:
        """Any touch or key press counts as activity for the idle timeout, not only finished steps."""
        if self.step is not Step.ATTRACT:
            self._touch()

    # -- helpers --------------------------------------------------------------------------------------------------
    def _touch(self) -> None:
        self.last_activity = self.clock()

    def _require(self, step: Step) -> None:
        if self.step is not step:
            raise KioskError("操作顺序不正确，请按屏幕提示操作", detail=f"expected {step.value}, at {self.step.value}")

    def _validate(self) -> dict[str, str]:
        return validate_record(self.record, self.policy, self.clock().astimezone(self.policy.tz).date())

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
        candidate = edit(self.record, **changes)
        previous, self.record = self.record, candidate
        self.errors = self._step_errors(step)
        if self.errors:
            self.record = previous  # keep what was saved; the screen keeps what was typed
            return self.step
        self.store.save(self.record)
        return self._next(step)

    def _next(self, step: Step) -> Step:
        self.step = Step.REVIEW if self.fixing else ORDER[ORDER.index(step) + 1]
        self.fixing = False
        return self.step

    def _attach(self, step: Step, kind: str, jpeg: bytes) -> Step:
        self._touch()
        self._require(step)
        if not jpeg.startswith(b"\xff\xd8"):
            self.errors = {kind: "图像格式不正确，请重新采集"}
            return self.step
        self.record = edit(self.record, **{f"{kind}_sha256": hashlib.sha256(jpeg).hexdigest()})
        self.store.save(self.record, **{kind: jpeg})
        self.errors = {}
        return self._next(step)

    def _transition(self, action: str, actor: str, **details) -> Record:
        new, entry = transition(self.record, action, actor, self.clock(), **details)
        self.store.save(new, audit=entry)
        return new
