"""Operator mode without a screen: who is logged in (badge + PIN, a timeout), what the operator may do to stored
records (confirm the signed paper, reprint, send back to draft), the terminal's pause, and what the operator reads
(the printed forms waiting for a signature, the outbox and sync state, the peripherals, the end-of-day summary,
with the corrections from central this terminal refused).

Every record change goes through Store.apply (audited as operator:<id>); pausing and resuming are audited too.
The touch app's operator screens (ui/operator_mode.py) only show this and forward touches.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.clock import SHANGHAI, Clock, utcnow
from kiosk.corrections import REFUSED, awaiting_hand_in, confirm_hand_in, refusal_problem
from kiosk.devices.badge import BadgeEvent, BadgeEventKind, Operator
from kiosk.errors import KioskError
from kiosk.files import write_json
from kiosk.identity import CardType, IdentityCard, check_id_number, ethnicity_codes, mask_id
from kiosk.qr import read_qr  # noqa: F401 - the sign-off scan, re-exported for the operator screens
from kiosk.record import AuditEntry, Record, RecordState
from kiosk.record.lifecycle import operator_actor as _actor

log = logging.getLogger(__name__)

PAUSE_FILE = "paused.json"
TERMINAL = "terminal"  # the audit log's record_id for entries about the terminal, not a record
GENDER_CODES = {"男": "1", "女": "2"}
PERIPHERAL_NAMES = {"card_reader": "身份证读卡器", "camera": "摄像头", "document_camera": "证件扫描",
                    "printer": "打印机", "badge_reader": "工作人员卡读卡器", "network": "中心服务器"}


# -- login ---------------------------------------------------------------------------------------------------------
class OperatorAccess:
    """The badge login (drivers.badge.login.OperatorLogin) with an inactivity timeout: `event()` takes the badge
    reader's events, `enter_pin()` the PIN, `tick()` logs out after `timeout` seconds without `touch()`."""

    def __init__(self, login, *, timeout: float = 180.0, monotonic: Callable[[], float] = time.monotonic):
        self.login, self.timeout, self._now = login, timeout, monotonic
        self._last = self._now()

    @property
    def operator(self) -> Operator | None:
        return self.login.operator

    @property
    def message(self) -> str:
        return self.login.message

    @property
    def state(self):
        return self.login.state

    def event(self, event: BadgeEvent):
        self.touch()
        return self.login.handle(event)

    def enter_pin(self, pin: str) -> bool:
        self.touch()
        return self.login.enter_pin(pin)

    def touch(self) -> None:
        self._last = self._now()

    @property
    def idle_seconds(self) -> float:
        return self._now() - self._last

    def tick(self) -> bool:
        """True when the timeout just logged the operator out (the badge must be presented again)."""
        if self.login.operator is not None and self.idle_seconds > self.timeout:
            log.info("operator mode timed out", extra={"fields": {"operator": self.login.operator.id}})
            self.logout()
            return True
        return False

    def logout(self) -> None:
        self.login.handle(BadgeEvent(BadgeEventKind.REMOVED, "logout"))


# -- what the operator reads -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrintedRow:
    """A printed form waiting for its signature: enough for the operator to find the paper."""

    record_id: str
    name: str
    id_tail: str  # the ID number masked but for its last four characters
    school_name: str
    print_count: int
    version: int
    operator_verified: str
    notes: list[str] = field(default_factory=list)

    @property
    def caption(self) -> str:
        mark = "（无身份证，工作人员核验）" if self.operator_verified else ""
        return f"{self.name}　{self.id_tail}　已打印{self.print_count}次{mark}"


@dataclass(frozen=True)
class Summary:
    day: dt.date
    registered: int  # records submitted today
    printed: int  # records printed today
    signed: int  # records signed today
    waiting_sync: int  # outbox entries not yet acknowledged by central
    problems: list[str] = field(default_factory=list)  # Chinese lines: failed prints, sync errors, staff notes

    def lines(self) -> list[tuple[str, str]]:
        return [("今日登记", str(self.registered)), ("今日打印", str(self.printed)), ("今日签字确认", str(self.signed)),
                ("待上传", str(self.waiting_sync)), ("问题", str(len(self.problems)))]


@dataclass(frozen=True)
class SyncState:
    queued: int
    message: str
    last_error: str
    last_success_at: str | None

    def lines(self) -> list[tuple[str, str]]:
        return [("上传状态", self.message), ("待上传记录", str(self.queued)),
                ("上次成功上传", _local_time(self.last_success_at) or "尚无"),
                ("最近错误", self.last_error or "无")]


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M:%S")


class OperatorDesk:
    """What an operator does on this terminal's store; every change audited with the operator's id."""

    def __init__(self, store, *, clock: Clock = utcnow, worker=None,
                 peripherals: Callable[[], dict[str, str]] = dict, state_dir: str | Path | None = None,
                 tz: dt.tzinfo = SHANGHAI, on_saved: Callable[[], None] | None = None):
        """on_saved: after every record change (the wiring kicks the sync worker there, TerminalCore.saved)."""
        self.store, self.clock, self.worker, self._peripherals, self.tz = store, clock, worker, peripherals, tz
        self.on_saved = on_saved
        self.pause_file = Path(state_dir) / PAUSE_FILE if state_dir is not None else None

    # -- records ----------------------------------------------------------------------------------------------
    def printed_unsigned(self) -> list[PrintedRow]:
        rows = []
        for record_id in self.store.record_ids(RecordState.PRINTED):
            record = self.store.get(record_id)
            rows.append(PrintedRow(str(record.record_id), record.name, mask_id(record.id_number),
                                   record.school_name, record.print_count, record.version,
                                   record.operator_verified, [n.message for n in record.operator_notes]))
        return rows

    def record_for_qr(self, text: str) -> str:
        """The printed, unsigned record whose form's QR says `text`: signed by this terminal's key, and the very
        version and content printed. A Chinese KioskError otherwise."""
        from kiosk.form.payload import parse_payload
        from kiosk.form.signing import terminal_signer

        payload = parse_payload(text[:400])
        if not payload.signature_valid(terminal_signer(self.store)):
            raise KioskError("二维码签名无效：该登记表不是本终端打印的", detail="QR signature invalid")
        record = self.store.get(payload.record_id)
        if record.version != payload.version or record.content_hash() != payload.content_hash:
            raise KioskError("该登记表不是最新版本，请收回并使用最新打印的登记表", detail="QR of an older version")
        if record.state is not RecordState.PRINTED and not awaiting_hand_in(self.store, record):
            raise KioskError("该登记表当前不是待签字状态", detail=f"QR of a {record.state.value} record")
        return str(record.record_id)

    def sign(self, record_id: str, operator: str) -> Record:
        """The operator has the signed paper: the record is locked. A corrected record's reprinted form (already
        signed and locked): the new paper's hand-in is confirmed instead (kiosk.corrections.confirm_hand_in)."""
        record = self.store.get(record_id)
        if record.state is RecordState.SIGNED and awaiting_hand_in(self.store, record):
            return confirm_hand_in(self.store, record_id, _actor(operator))
        return self._saved(self.store.apply(record_id, "sign", _actor(operator)))

    def reopen(self, record_id: str, operator: str, reason: str) -> Record:
        """The paper is taken back: the record goes back to draft as a new version, the reason audited."""
        reason = " ".join(reason.split())[:200]
        return self._saved(self.store.apply(record_id, "revise", _actor(operator), reason=reason))

    def reprint(self, record_id: str, operator: str, printer, *, policy=None, terminal_id: str | None = None,
                timeout: float = 90.0):
        """Prints the form once more (counted, audited as the operator); returns the PrintOutcome."""
        from kiosk.form.printing import PrintService
        from kiosk.form.signing import terminal_signer

        service = PrintService(self.store, printer, terminal_signer(self.store), policy=policy,
                               clock=self.clock, timeout=timeout, terminal_id=terminal_id)
        outcome = service.print_record(record_id, _actor(operator))
        self._saved(outcome.record)
        return outcome

    def _saved(self, record: Record) -> Record:
        if self.on_saved is not None:
            try:
                self.on_saved()
            except Exception:  # noqa: BLE001 - a hook never undoes the operator's change
                log.exception("on_saved hook failed")
        return record

    # -- the terminal -----------------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        if self.pause_file is None or not self.pause_file.exists():
            return False
        try:
            return bool(json.loads(self.pause_file.read_text(encoding="utf-8")).get("paused"))
        except (OSError, ValueError):
            return False

    def set_paused(self, paused: bool, operator: str) -> None:
        """Pause or resume the terminal (kept across restarts), audited."""
        actor = _actor(operator)
        if self.pause_file is not None:
            write_json(self.pause_file, {"paused": paused, "by": actor, "at": self.clock().isoformat()})
        action = "pause" if paused else "resume"
        self.store.append_audit(AuditEntry(TERMINAL, action, actor, "", "", 0, self.clock(), {}))
        log.info("terminal %s", action, extra={"fields": {"operator": actor}})

    def sync_state(self) -> SyncState:
        queued = self.store.outbox_depth()
        if self.worker is None:
            return SyncState(queued, "未连接中心服务器（离线运行）", "", None)
        status = self.worker.status()
        if status.sending:
            message = f"正在上传，待上传 {queued} 条"
        elif queued == 0:
            message = "全部已上传"
        else:
            message = f"待上传 {queued} 条" + ("，网络恢复后自动上传" if status.last_error else "，即将上传")
        return SyncState(queued, message, status.last_error, status.last_success_at)

    def peripherals(self) -> list[tuple[str, str, bool]]:
        """(name, state, ok) for every device the wiring reports, and the network."""
        try:
            states = dict(self._peripherals())
        except Exception as exc:  # noqa: BLE001 - a status screen never fails on a device question
            states = {"devices": f"error: {type(exc).__name__}"}
        sync = self.sync_state()
        states["network"] = "error: " + sync.last_error[:80] if sync.last_error else "ok"
        rows = []
        for key, state in states.items():
            ok = not str(state).startswith("error") and ":" not in str(state)
            rows.append((PERIPHERAL_NAMES.get(key, key), _state_text(str(state)), ok))
        return rows

    def summary(self, day: dt.date | None = None) -> Summary:
        day = day or self.clock().astimezone(self.tz).date()
        counted: dict[str, set[str]] = {"submit": set(), "print": set(), "sign": set()}
        problems, refused = [], {}
        for entry in self.store.audit_entries():
            if entry.at.astimezone(self.tz).date() != day:
                continue
            if entry.action in counted:
                counted[entry.action].add(entry.record_id)
            elif entry.action == REFUSED:  # a correction from central not applied here (until it comes again)
                refused[entry.details.get("correction_id")] = entry
            elif entry.action == "correct":
                refused.pop(entry.details.get("correction_id"), None)
            elif entry.action == "print_failed":
                problems.append(f"打印失败：{entry.details.get('error') or ','.join(entry.details.get('reasons', []))}"
                                .rstrip("："))
        problems += [refusal_problem(self.store, entry) for entry in refused.values()]
        for row in self.printed_unsigned():
            problems += [f"{row.id_tail}：{note}" for note in row.notes]
        sync = self.sync_state()
        if sync.last_error:
            problems.append(f"上传错误：{sync.last_error[:80]}")
        return Summary(day, len(counted["submit"]), len(counted["print"]), len(counted["sign"]),
                       self.store.outbox_depth(), problems)


def _state_text(state: str) -> str:
    if state == "ok":
        return "正常"
    if state == "simulator":
        return "正常（模拟设备）"
    return state


# -- the assisted path ---------------------------------------------------------------------------------------------
def assisted_card(*, name: str, gender: str, ethnicity: str, birth_date: str, id_number: str, address: str,
                  today: dt.date) -> tuple[IdentityCard | None, dict[str, str]]:
    """The identity an operator typed from a household register page, as an IdentityCard (card type
    household_register), or the Chinese problems by field. The ID number is checked (python-stdnum) and must
    agree with the birth date and gender typed."""
    errors: dict[str, str] = {}
    name = "".join(name.split())
    if not name:
        errors["name"] = "请填写姓名"
    elif len(name) > 30:
        errors["name"] = "姓名过长"
    gender_code = GENDER_CODES.get(gender.strip())
    if gender_code is None:
        errors["gender"] = "请选择性别"
    codes = {label: code for code, label in ethnicity_codes().items()}
    typed = ethnicity.strip()
    ethnicity_code = codes.get(typed) or codes.get(typed + "族") or ""
    if not ethnicity_code:
        errors["ethnicity"] = "请填写民族，如：汉族"
    try:
        birth = dt.date.fromisoformat(birth_date.strip())
    except ValueError:
        birth = None
        errors["birth_date"] = "出生日期格式应为 年-月-日，如 2009-03-15"
    check = check_id_number(id_number.strip().upper(), today)
    if not check.valid:
        errors["id_number"] = "；".join(check.errors) or "身份证号码无效"
    else:
        if birth is not None and check.birth_date != birth:
            errors["birth_date"] = "出生日期与身份证号码不一致"
        if gender_code is not None and check.gender != gender.strip():
            errors["gender"] = "性别与身份证号码不一致"
    address = " ".join(address.split())
    if not address:
        errors["address"] = "请填写户籍地址（户口簿上的住址）"
    elif len(address) > 70:
        errors["address"] = "地址过长"
    if errors:
        return None, errors
    return IdentityCard(card_type=CardType.HOUSEHOLD_REGISTER, name=name, gender_code=gender_code, birth_date=birth,
                        id_number=check.id_number, valid_from=today, valid_until=None,
                        ethnicity_code=ethnicity_code, address=address, authority="户口簿（工作人员核验）"), {}
