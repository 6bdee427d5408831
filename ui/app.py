"""KioskApp: the touch app's controller. It builds the terminal through the composition root (ui/wiring.py, the
same build the robot and the commands use), makes one screen per session Step, and then only shows the session's
state and forwards touches to it: every rule and every write is the session's. Device work never runs on the UI
thread:

- the card reader's poller runs in a thread (drivers.idcard.poller.run); its events reach the UI through
  Clock.schedule_once;
- camera frames are fed to the PhotoSession on a worker thread (ui/photo_feeder.py); a Clock interval shows the
  newest outcome (guidance, progress, preview);
- scanning a document and printing the form run in threads and report back through Clock.schedule_once;
- session.tick runs on a one-second Clock interval (idle timeout back to attract).
The on-screen keyboard is hosted by ui/keyboard_host.py.

Environment for Kivy (KIVY_NO_ARGS, KIVY_HOME, SDL_VIDEODRIVER...) must be set before this module is imported;
`kiosk run --ui` and tests/ui do that.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kivy.config import Config

# A 1280x800 landscape kiosk; Escape does not quit; no red multitouch dots on right click.
Config.set("graphics", "width", "1280")
Config.set("graphics", "height", "800")
Config.set("kivy", "exit_on_escape", "0")
Config.set("input", "mouse", "mouse,multitouch_on_demand")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.text import DEFAULT_FONT, LabelBase  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402

from kiosk.config import TerminalConfig  # noqa: E402
from kiosk.errors import KioskError  # noqa: E402
from kiosk.fonts import CJK_FONT  # noqa: E402
from kiosk.session import Step  # noqa: E402

from .keyboard_host import KeyboardHost  # noqa: E402
from .operator_mode import OperatorMode  # noqa: E402
from .photo_feeder import PhotoFeeder  # noqa: E402
from .screens import SCREENS  # noqa: E402

log = logging.getLogger(__name__)

FONT = CJK_FONT  # Kivy opens face 0 of a .ttc: WenQuanYi Micro Hei


def register_font(path: str = FONT) -> None:
    """Every label and text field uses the CJK font (Kivy's default Roboto has no Chinese glyphs)."""
    if not Path(path).exists():
        raise KioskError("缺少中文字体，请联系技术人员", detail=f"font {path} missing (apt install fonts-wqy-microhei)")
    LabelBase.register(DEFAULT_FONT, path, path, path, path)


class KioskApp(App):
    title = "考生信息采集终端"

    def __init__(self, config: TerminalConfig | None = None, *, category: str = "grade9",
                 at: dt.datetime | None = None, workdir: str | Path | None = None, realtime_camera: bool = True,
                 fullscreen: bool = False, say: Callable[[str], None] = print, **kwargs):
        super().__init__(**kwargs)
        self.terminal_config = config or TerminalConfig()
        self.category, self.at, self.realtime_camera, self.fullscreen = category, at, realtime_camera, fullscreen
        self.workdir = Path(workdir) if workdir else None
        self.say = say
        self.kiosk = self.devices = self.session = self.sm = self.keys = self.operator = None
        self.feeder: PhotoFeeder | None = None
        self._photo_clock = None
        self._document = None
        self._shown: Step | None = None
        self._stop_poller = threading.Event()
        self._poller_thread: threading.Thread | None = None

    # -- composition ----------------------------------------------------------------------------------------------
    def build(self):
        from kivy.core.window import Window

        from .wiring import build

        register_font()
        Window.clearcolor = (0.95, 0.96, 0.98, 1)
        if self.fullscreen:
            Window.fullscreen = "auto"
        else:
            Window.size = (1280, 800)  # the kiosk's screen, also when a window existed before the app
        self.kiosk = build(self.terminal_config, data_dir=self.workdir, category=self.category, at=self.at,
                           say=self.say)
        self.devices = self.kiosk.devices
        self.session = self.kiosk.session()
        self.sm = ScreenManager(transition=NoTransition())
        for screen_class in SCREENS:
            self.sm.add_widget(screen_class(self))
        self.keys = KeyboardHost(lambda: self.current_screen)
        self.operator = OperatorMode(self)  # operator screens, the badge and the attract corner's long press
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        self.refresh()
        return self.sm

    def on_start(self) -> None:
        from drivers.idcard.poller import run

        def deliver(event) -> None:
            Clock.schedule_once(lambda _dt: self.on_card_event(event))

        self._poller_thread = threading.Thread(target=run, args=(self.devices.card_reader.poller, deliver,
                                                                 self._stop_poller),
                                               name="card-poller", daemon=True)
        self._poller_thread.start()
        Clock.schedule_interval(self._tick, 1.0)
        self.operator.start()

    def on_stop(self) -> None:
        self._stop_poller.set()
        if self.operator is not None:
            self.operator.stop()
        self._stop_photo()
        if self._poller_thread:
            self._poller_thread.join(3)
        if self.kiosk:
            self.kiosk.close()

    # -- what the screens call ------------------------------------------------------------------------------------
    @property
    def keyboard(self):
        return self.keys.keyboard if self.keys else None

    @property
    def simulated_card(self) -> bool:
        return self.devices is not None and self.devices.simulated_card

    def terminal_caption(self) -> str:
        c = self.terminal_config
        demo = "（模拟设备）" if self.simulated_card else ""
        return f"{c.school_name}　终端 {self.kiosk.station.terminal_id}{demo}"

    def default_school_name(self, record) -> str:
        return self.terminal_config.school_name if record.school_code == self.terminal_config.school_code else ""

    def act(self, method: str, *args, **kwargs) -> None:
        """Calls one session method with what the student entered, then shows the session's new state."""
        self.hide_keyboard()  # the whole form (and its errors) in view again
        try:
            getattr(self.session, method)(*args, **kwargs)
        except KioskError as exc:
            self.current_screen.show_message(exc.message)
            return
        self.refresh()

    def confirm_identity(self) -> None:
        self.act("confirm_identity")

    def confirm_review(self) -> None:
        self.act("confirm_review")

    def go_back_to(self, step: Step) -> None:
        self.act("go_back_to", step)

    def reprint(self) -> None:
        self.act("reprint")

    def reset(self) -> None:
        self.session.reset()
        self.refresh()

    def attachment(self, kind: str) -> bytes | None:
        data = self.session.attachment(kind)
        if self.session.step is Step.REFUSED:  # stored data failed its check: the flow stops for the staff
            Clock.schedule_once(lambda _dt: self.refresh())
        return data

    def simulate_card(self) -> None:
        """Demo only: lays the demo card on the simulated reader (lifting it first if it lies there already)."""
        reader = self.devices.card_reader
        try:
            status = json.loads(reader.simulate("status").removeprefix("ok "))
            if status.get("present"):
                reader.simulate("remove")
                Clock.schedule_once(lambda _dt: reader.simulate("place"), 0.5)
            else:
                reader.simulate("place")
        except (OSError, ValueError) as exc:
            log.warning("simulator control failed", extra={"fields": {"error": str(exc)}})

    def input_focused(self, text_input, focused: bool) -> None:
        self.keys.input_focused(text_input, focused)

    def hide_keyboard(self) -> None:
        if self.keys is not None:
            self.keys.hide()

    # -- showing the session ----------------------------------------------------------------------------------------
    @property
    def current_screen(self):
        return self.sm.get_screen(self.sm.current)

    def refresh(self) -> None:
        step = self.session.step
        screen = self.sm.get_screen(step.value)
        if step is not self._shown:
            self._left(self._shown)
            self.hide_keyboard()
            if step is Step.ATTRACT:
                for other in self.sm.screens:  # nothing of the last student stays in any widget
                    other.clear()
                self.keys.reset()
            screen.enter(self.session)
            self._shown = step
            self.sm.current = step.value
            self._entered(step)
        screen.show_state(self.session)

    def _entered(self, step: Step) -> None:
        if step is Step.PHOTO:
            self._start_photo()
        elif step is Step.PRINT:
            self.print_form()

    def _left(self, step: Step | None) -> None:
        if step is Step.PHOTO:
            self._stop_photo()
        elif step is Step.DOCUMENT:
            self._document = None

    def _activity(self, *_args) -> None:
        """Any touch or key counts as activity for the idle timeout, not only finished steps."""
        if self.session is not None:
            self.session.touch()

    def _tick(self, _dt) -> None:
        before = self.session.step
        self.session.tick()
        if self.session.step is not before:
            self.refresh()

    # -- card reader ----------------------------------------------------------------------------------------------
    def on_card_event(self, event) -> None:
        from kiosk.devices.card_reader import CardEventKind

        attract = self.sm.get_screen("attract")
        kind = event.kind
        if kind in (CardEventKind.READER_READY, CardEventKind.REMOVED):
            attract.reader_status("")
        elif kind in (CardEventKind.READER_LOST, CardEventKind.FAILED):
            attract.reader_status(event.error.message, problem=True)
        elif kind is CardEventKind.PLACED:
            attract.reader_status("正在读卡，请不要移动身份证…")
        elif kind is CardEventKind.READ and self.session.accepts_card:  # mid-registration: not theirs to start
            attract.reader_status("")
            self.devices.card_read(event.card)  # the simulated document camera shows the card just read
            self.act("card_read", event.card, self.category)

    # -- photo ------------------------------------------------------------------------------------------------------
    def _start_photo(self) -> None:
        self._stop_photo()
        self.feeder = PhotoFeeder(self.devices.open_camera(), self.session.policy.photo,
                                  realtime=self.realtime_camera).start()
        self._photo_clock = Clock.schedule_interval(self._photo_poll, 1 / 30)

    def _stop_photo(self) -> None:
        if self._photo_clock is not None:
            self._photo_clock.cancel()
            self._photo_clock = None
        if self.feeder is not None:
            feeder, self.feeder = self.feeder, None
            threading.Thread(target=feeder.stop, name="photo-feeder-stop", daemon=True).start()

    def _photo_poll(self, _dt) -> None:
        from kiosk.photo import Phase

        feeder, screen = self.feeder, self.sm.get_screen("photo")
        if feeder is None:
            return
        if feeder.error:
            screen.show_message(feeder.error)
        latest = feeder.take()
        if latest is None:
            return
        state, preview = latest
        if state.phase is Phase.REVIEW:
            screen.show_shots(feeder.shots(), feeder.can_retake, state.message)
        else:
            screen.show_frame(state, preview)

    def photo_retake(self) -> None:
        try:
            self.feeder.retake()
        except KioskError as exc:
            self.current_screen.show_message(exc.message)
            return
        self.sm.get_screen("photo").show_live()

    def photo_use(self, index: int, confirmed: list[str]) -> None:
        try:
            photo = self.feeder.choose(index)
        except KioskError as exc:
            self.current_screen.show_message(exc.message)
            return
        self.act("photo_taken", photo, confirmed)

    # -- document -------------------------------------------------------------------------------------------------
    def document_scan(self) -> None:
        from kiosk.document import make_document

        screen = self.sm.get_screen("document")
        screen.busy()
        id_number, spec, scanner = self.session.record.id_number, self.session.policy.document, self.devices.scanner

        def done(document, error) -> None:
            if self.session.step is not Step.DOCUMENT:
                return
            if error is not None:
                screen.show_document(None, error.message if isinstance(error, KioskError) else "扫描失败，请重试")
                return
            self._document = document
            screen.show_document(document.image)

        self.background(lambda: make_document(scanner.scan(), id_number, spec), done)

    def document_use(self) -> None:
        if self._document is not None:
            self.act("document_scanned", self._document)

    # -- print ----------------------------------------------------------------------------------------------------
    def print_form(self) -> None:
        """The session prints (off the UI thread); the screen shows its outcome."""
        screen = self.sm.get_screen("print")
        screen.busy()
        session, printer = self.session, self.devices.printer

        def done(_step, error) -> None:
            if error is not None:
                screen.failed(error.message if isinstance(error, KioskError) else "")
            elif session.step is Step.PRINT:
                screen.failed(session.errors.get("print", ""))
            self.refresh()

        self.background(lambda: session.print_form(printer), done)

    # -- helpers --------------------------------------------------------------------------------------------------
    def background(self, work: Callable[[], object], done: Callable[[object, Exception | None], None]) -> None:
        """Runs work() in a thread and done(result, error) on the UI thread."""

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:  # noqa: BLE001 - handed to the UI, which shows it
                if not isinstance(exc, KioskError):
                    log.exception("background work failed")
                result, error = None, exc
            Clock.schedule_once(lambda _dt: done(result, error))

        threading.Thread(target=run, name="kiosk-work", daemon=True).start()
