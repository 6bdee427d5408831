"""Operator mode in the touch app: the badge reader's events (a thread, delivered on the UI thread), the hidden
long-press on the attract screen's top-left corner (opens the login; in the demo it lays the demo operator's badge
on the simulated reader), the PIN, an inactivity timeout, and the operator screens (ui/screens/operator.py).

Every decision is in kiosk/operator.py (OperatorAccess, OperatorDesk, assisted_card) and kiosk/session.py
(assisted_start, paused, operator_present); this only shows them and forwards touches. While operator mode is open
the session takes no card; on closing, the operator's screens are wiped and the attract screen comes back.
"""
from __future__ import annotations

import logging
import threading

from kivy.clock import Clock
from kivy.uix.widget import Widget

from drivers.badge.login import LoginState, OperatorLogin
from kiosk.errors import KioskError
from kiosk.operator import OperatorAccess, OperatorDesk, assisted_card
from kiosk.session import Step

from .screens.operator import OPERATOR_SCREENS
from .theme import px
from .wiring import DEMO_OPERATOR, operator_registry

log = logging.getLogger(__name__)

TIMEOUT_S = 180.0  # operator mode closes after this long without a touch
LONG_PRESS_S = 2.0
NAMES = {"operator_login", "operator", "operator_status", "operator_assist"}


class CornerPress(Widget):
    """An invisible square in the attract screen's top-left corner: held for LONG_PRESS_S it opens operator mode."""

    def __init__(self, on_long_press, **kwargs):
        super().__init__(size_hint=(None, None), size=px((110, 110)), pos_hint={"x": 0, "top": 1}, **kwargs)
        self.on_long_press, self._event = on_long_press, None

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            self._event = Clock.schedule_once(lambda _dt: self.on_long_press(), LONG_PRESS_S)
            return True
        return False

    def on_touch_up(self, touch):
        if self._event is not None:
            self._event.cancel()
            self._event = None
        return False


class OperatorMode:
    def __init__(self, app):
        self.app = app
        kiosk = app.kiosk
        self.reader = app.devices.badge_reader
        self.registry = operator_registry(kiosk.paths, demo=kiosk.config.demo)
        self.access = OperatorAccess(OperatorLogin(self.registry), timeout=TIMEOUT_S)
        self.desk = OperatorDesk(kiosk.store, clock=kiosk.clock, worker=kiosk.worker, peripherals=app.devices.status,
                                 state_dir=kiosk.paths.data_dir, tz=kiosk.policy.tz, on_saved=kiosk.core.saved)
        app.session.paused = self.desk.paused
        self.screens = {}
        for screen_class in OPERATOR_SCREENS:
            screen = screen_class(self)
            self.screens[screen.name] = screen
            app.sm.add_widget(screen)
        self.corner = CornerPress(self.long_press)
        app.sm.get_screen("attract").add_widget(self.corner)
        self._document = self._card = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clock = None

    # -- life ---------------------------------------------------------------------------------------------------
    def start(self) -> "OperatorMode":
        from kivy.core.window import Window

        if self.reader is not None:
            self._thread = threading.Thread(target=self._pump, name="badge-events", daemon=True)
            self._thread.start()
        self._clock = Clock.schedule_interval(self._tick, 1.0)
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._clock is not None:
            self._clock.cancel()
        if self._thread is not None:
            self._thread.join(3)

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                event = self.reader.next_event(0.5)
            except Exception:  # noqa: BLE001 - the reader's own thread reports losses as events
                log.exception("badge reader failed")
                self._stop.wait(1.0)
                continue
            if event is not None:
                Clock.schedule_once(lambda _dt, e=event: self.on_badge(e))

    @property
    def is_open(self) -> bool:
        return self.app.sm.current in NAMES

    @property
    def operator(self):
        return self.access.operator

    def _activity(self, *_args) -> None:
        if self.is_open:
            self.access.touch()

    def _tick(self, _dt) -> None:
        if not self.is_open:
            return
        if self.access.tick() or (self.operator is None and self.access.idle_seconds > TIMEOUT_S):
            self.close()  # timed out (also a login left waiting)

    # -- entry ----------------------------------------------------------------------------------------------------
    def long_press(self) -> None:
        """The hidden gesture: opens the login; in the demo it lays the demo operator's badge."""
        if self.app.session.step is not Step.ATTRACT or self.is_open:
            return
        if getattr(self.reader, "simulated", False):
            self.reader.lay(DEMO_OPERATOR[2])
        self.open_login()

    def on_badge(self, event) -> None:
        state = self.access.event(event)
        if self.is_open:
            if state is LoginState.NO_BADGE and self.app.sm.current != "operator_login":
                self.close()  # the badge was pulled: logged out
            elif self.operator is None:
                self.open_login()
        elif state in (LoginState.NEED_PIN, LoginState.UNKNOWN_BADGE) and self.app.session.step is Step.ATTRACT:
            self.open_login()  # a badge laid on the attract screen opens operator mode

    def open_login(self) -> None:
        self.app.session.operator_present = True
        self.app.hide_keyboard()
        screen = self.screens["operator_login"]
        hint = f"演示：PIN码{DEMO_OPERATOR[3]}" if getattr(self.reader, "simulated", False) else ""
        screen.show_login(self.access.message, self.access.state is LoginState.NEED_PIN, hint)
        self._show("operator_login")

    def enter_pin(self, pin: str) -> None:
        self.app.hide_keyboard()
        if self.access.enter_pin(pin.strip()):
            self.show_home()
        else:
            self.open_login()

    def close(self) -> None:
        """Logs out (the simulated badge is lifted), wipes the operator screens, back to the session's screen."""
        self.access.logout()
        if getattr(self.reader, "simulated", False):
            self.reader.lift()
        self.app.session.operator_present = False
        self.app.hide_keyboard()
        for screen in self.screens.values():
            screen.clear()
        self._document = self._card = None
        self.app.sm.current = self.app.session.step.value
        self.app.refresh()

    # -- home -----------------------------------------------------------------------------------------------------
    def _show(self, name: str) -> None:
        self.app.hide_keyboard()
        self.app.sm.current = name

    def _require(self):
        if self.operator is None:
            self.open_login()
            return None
        return self.operator

    def show_home(self, message: str = "", ok: bool = True) -> None:
        if self._require() is None:
            return
        screen = self.screens["operator"]
        try:
            rows = self.desk.printed_unsigned()
        except KioskError as exc:
            rows, message, ok = [], exc.message, False
        screen.show_rows(self.operator.name, rows, self.app.session.paused)
        screen.note(message, ok)
        self._show("operator")

    def _do(self, work, done_message: str) -> None:
        operator = self._require()
        if operator is None:
            return
        try:
            work(operator.id)
        except KioskError as exc:
            self.show_home(exc.message, ok=False)
            return
        self.show_home(done_message)

    def sign(self, record_id: str) -> None:
        self._do(lambda op: self.desk.sign(record_id, op), "已确认签字，记录已锁定")

    def scan_qr(self) -> None:
        """Sign-off by the form's QR: the signed paper on the document camera (the demo lays the last printed form)."""
        from kiosk.operator import read_qr

        if self._require() is None:
            return
        scanner = self.app.devices.scanner
        if hasattr(scanner, "lay_form"):
            printed = sorted(self.app.kiosk.paths.printed.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
            if printed:
                scanner.lay_form(printed[-1].read_bytes())
        self.screens["operator"].note("正在识别登记表二维码…", ok=True)

        def done(record_id, error) -> None:
            if error is not None:
                self.show_home(error.message if isinstance(error, KioskError) else "扫描失败，请重试", ok=False)
            else:
                self.sign(record_id)

        self.app.background(lambda: self.desk.record_for_qr(read_qr(scanner.scan())), done)

    def reopen(self, record_id: str) -> None:
        self.app.hide_keyboard()
        reason = self.screens["operator"].reason.text
        if not reason:
            self.screens["operator"].reason.error = "请填写退回修改的原因"
            return
        self.screens["operator"].reason.text = ""
        self._do(lambda op: self.desk.reopen(record_id, op, reason), "已退回修改，请收回原登记表；考生刷身份证后重新填写")

    def reprint(self, record_id: str) -> None:
        operator = self._require()
        if operator is None:
            return
        screen = self.screens["operator"]
        screen.note("正在打印…", ok=True)
        kiosk, printer = self.app.kiosk, self.app.devices.printer

        def done(outcome, error) -> None:
            if error is not None:
                self.show_home(error.message if isinstance(error, KioskError) else "打印失败，请检查打印机", ok=False)
            elif outcome.ok:
                self.show_home(f"已重新打印（第{outcome.record.print_count}次）")
            else:
                self.show_home(outcome.job.student_message or "打印失败，请检查打印机", ok=False)

        self.app.background(lambda: self.desk.reprint(record_id, operator.id, printer, policy=kiosk.policy,
                                                      terminal_id=kiosk.station.terminal_id), done)

    def toggle_pause(self) -> None:
        paused = not self.app.session.paused

        def work(op):
            self.desk.set_paused(paused, op)
            self.app.session.paused = paused

        self._do(work, "终端已暂停服务，首页显示暂停提示" if paused else "终端已恢复服务")

    # -- status ---------------------------------------------------------------------------------------------------
    def show_status(self) -> None:
        if self._require() is None:
            return
        screen = self.screens["operator_status"]
        screen.show(self.desk.summary(), self.desk.sync_state(), self.desk.peripherals())
        screen.show_voice(self.app.voice.muted if self.app.voice is not None else None)
        screen.note("")
        self._show("operator_status")

    def toggle_voice(self) -> None:
        """Mutes or unmutes the spoken prompts; kept in the terminal's state across restarts."""
        operator, voice = self._require(), self.app.voice
        if operator is None or voice is None:
            return
        voice.set_muted(not voice.muted, operator.id)
        log.info("voice prompts %s", "muted" if voice.muted else "on", extra={"fields": {"operator": operator.id}})
        self.show_status()
        self.screens["operator_status"].note("语音提示已关闭" if voice.muted else "语音提示已开启", ok=True)

    # -- assisted path --------------------------------------------------------------------------------------------
    def show_assist(self) -> None:
        if self._require() is None:
            return
        self._show("operator_assist")

    def _assisted_card(self):
        self.app.hide_keyboard()  # the whole form and its errors in view
        screen = self.screens["operator_assist"]
        today = self.app.kiosk.clock().astimezone(self.app.kiosk.policy.tz).date()
        card, errors = assisted_card(**screen.values(), today=today)
        screen.show_errors(errors)
        return card

    def assist_scan(self) -> None:
        from kiosk.document import DocumentKind, make_document

        card = self._assisted_card()
        if card is None or self._require() is None:
            return
        screen, scanner, spec = self.screens["operator_assist"], self.app.devices.scanner, self.app.kiosk.policy.document
        if hasattr(scanner, "lay_register"):  # the simulated document camera shows this student's page
            scanner.lay_register(card)
        screen.busy()

        def done(document, error) -> None:
            if self.app.sm.current != "operator_assist":
                return
            if error is not None:
                screen.show_document(None, error.message if isinstance(error, KioskError) else "扫描失败，请重试")
                return
            self._document, self._card = document, card
            screen.show_document(document.image)

        self.app.background(lambda: make_document(scanner.scan(), card.id_number, spec,
                                                  kind=DocumentKind.HOUSEHOLD_REGISTER), done)

    def assist_start(self) -> None:
        card, operator = self._assisted_card(), self._require()
        if card is None or operator is None or self._document is None:
            return
        if card != self._card:  # changed after the scan: the page must show what was typed
            self.screens["operator_assist"].show_document(None, "信息已修改，请重新扫描户口簿")
            self._document = None
            return
        session = self.app.session
        session.operator_present = False
        try:
            step = session.assisted_start(operator.id, card, self._document, self.app.category)
        except KioskError as exc:
            session.operator_present = True
            self.screens["operator_assist"].note(exc.message)
            return
        log.info("assisted registration started", extra={"fields": {"operator": operator.id, "step": step.value}})
        self.close()
