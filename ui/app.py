"""KioskApp: the touch app's controller. It builds the terminal through the composition root (ui/wiring.py, the
same build the robot and the commands use), makes one screen per session Step, and then only shows the session's
state and forwards touches to it: every rule and every write is the session's. Device work never runs on the UI
thread:

- the card reader's poller runs in a thread (drivers.idcard.poller.run); its events reach the UI through
  Clock.schedule_once;
- camera frames are fed to the PhotoSession on a worker thread (ui/photo_feeder.py); a Clock interval shows the
  newest outcome (guidance, progress, preview);
- scanning a document and printing the form run in threads and report back through Clock.schedule_once;
- a one-second Clock interval runs the idle timeout: a countdown over the screen in its last IDLE_WARNING seconds
  (继续 to stay), then every personal field wiped from memory and widgets. Touches, keys, a card lying on the
  reader and a face in front of the photo camera are activity; printing, a failure waiting for the staff and
  screens marked `idle_exempt` (operator mode) never time out.
Every device failure shows the failure screen (ui/screens/failure.py) over the step, which keeps what was typed;
呼叫工作人员 flags the terminal in the heartbeat. The network indicator, the idle countdown and the identify flash
lie over every screen (ui/overlays.py); the watchdog, update lock and identify hooks are in ui/field.py.
The on-screen keyboard is hosted by ui/keyboard_host.py.

Environment for Kivy (KIVY_NO_ARGS, KIVY_HOME, SDL_VIDEODRIVER...) must be set before this module is imported;
`kiosk run --ui` and tests/ui do that.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path

from kivy.config import Config

from . import theme  # noqa: E402

# The window is made when the screens are imported: `kiosk run --ui` and `kiosk screens` size it from the
# terminal's config first (ui.theme.configure); otherwise a 1280x800 landscape kiosk. Escape does not quit; no red
# multitouch dots on right click.
if not theme.configured:
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
Config.set("kivy", "exit_on_escape", "0")
Config.set("input", "mouse", "mouse,multitouch_on_demand")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.text import DEFAULT_FONT, LabelBase  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402

from kiosk.config import TerminalConfig  # noqa: E402
from kiosk.errors import KioskError, SealBroken  # noqa: E402
from kiosk.fonts import CJK_FONT  # noqa: E402
from kiosk.session import PAUSED_PROMPT, Step  # noqa: E402

from .field import FieldHooks  # noqa: E402
from .keyboard_host import KeyboardHost  # noqa: E402
from .operator_mode import OperatorMode  # noqa: E402
from .overlays import IdleCountdown, NetworkBadge  # noqa: E402
from .commands.run import release_memory  # noqa: E402
from .photo_feeder import PhotoFeeder, warm as warm_photo  # noqa: E402
from .screens import SCREENS  # noqa: E402
from .screens import failure as failures  # noqa: E402

log = logging.getLogger(__name__)

FONT = CJK_FONT  # Kivy opens face 0 of a .ttc: WenQuanYi Micro Hei
IDLE_WARNING = 20  # seconds of countdown shown before the idle wipe
READER_GRACE_S = 2.0  # a reader lost for longer than this shows the failure screen
CAMERA_SILENT_S = 5.0  # no frame for this long on the photo step: the camera-silent failure
EXIT_STEPS = (Step.IDENTITY, Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT, Step.PHOTO, Step.DOCUMENT,
              Step.REVIEW, Step.PASSWORD)  # 退出，清除本人信息 (done, printed, refused already lead home)


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
        self.failure: failures.Failure | None = None  # shown over the step, which keeps what was typed
        self.card_present = False  # a card lying on the reader counts as activity
        self._reader_lost = None
        self._intervals: list = []
        self.idle_warning = IDLE_WARNING
        self.root_layout = self.countdown = self.network = self.field = None

    # -- composition ----------------------------------------------------------------------------------------------
    def build(self):
        screen = self.terminal_config.model_copy(update={"fullscreen": True}) if self.fullscreen \
            else self.terminal_config
        theme.configure(screen)  # the config's size, or borderless over the display, for a window made now
        from kivy.core.window import Window

        from .wiring import build, prestart_ui

        prestart_ui()  # the pinyin runtime starts beside the build
        register_font()
        Window.clearcolor = theme.BACKGROUND
        theme.apply(Window, screen)  # also when a window existed before the app
        self.kiosk = build(self.terminal_config, data_dir=self.workdir, category=self.category, at=self.at,
                           say=self.say)
        self.devices = self.kiosk.devices
        self.session = self.kiosk.session()
        self.sm = ScreenManager(transition=NoTransition())
        for screen_class in (*SCREENS, failures.FailureScreen):
            self.sm.add_widget(screen_class(self))
        for step in EXIT_STEPS:
            failures.add_exit_button(self.sm.get_screen(step.value), self.exit_session)
        self.keys = KeyboardHost(lambda: self.current_screen)
        self.operator = OperatorMode(self)  # operator screens, the badge and the attract corner's long press
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        self.root_layout = FloatLayout()
        self.root_layout.add_widget(self.sm)
        self.network = NetworkBadge()
        self.root_layout.add_widget(self.network)
        self.root_layout.bind(size=self.network.place, pos=self.network.place)
        self.countdown = IdleCountdown(self.stay)
        self.field = FieldHooks(self)
        self.refresh()
        return self.root_layout

    def on_start(self) -> None:
        from drivers.idcard.poller import run

        def deliver(event) -> None:
            Clock.schedule_once(lambda _dt: self.on_card_event(event))

        self._poller_thread = threading.Thread(target=run, args=(self.devices.card_reader.poller, deliver,
                                                                 self._stop_poller),
                                               name="card-poller", daemon=True)
        self._poller_thread.start()
        self._intervals = [Clock.schedule_interval(self._tick, 1.0), Clock.schedule_interval(self.show_network, 2.0),
                           Clock.schedule_once(lambda _dt: warm_photo(self.session.policy.photo,
                                                                      self.devices.open_camera))]
        self.field.start()
        self.operator.start()

    def on_stop(self) -> None:
        for event in self._intervals:  # the Clock outlives the app (tests run several apps in one process)
            event.cancel()
        self._stop_photo()
        if self._reader_lost is not None:
            self._reader_lost.cancel()
        if self.field is not None:
            self.field.stop()
        self._stop_poller.set()
        if self.operator is not None:
            self.operator.stop()
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
        self.wipe()

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
                self._wipe_widgets()
                self.field.end_session()
                release_memory()  # the last student's buffers, freed, go back to the system
            screen.enter(self.session)
            self._shown = step
            self.sm.current = step.value
            self.field.status(step.value)
            self._entered(step)
            if step is Step.REFUSED and self.session.refusal == [SealBroken().message]:
                self.fail(failures.seal_broken())
                self.call_staff()
        screen.show_state(self.session)
        if self.failure is not None:
            self.sm.current = "failure"

    def _wipe_widgets(self) -> None:
        """Nothing of the last student stays in any widget, nor in a text field's undo history. A lost reader
        stays on screen (nobody can start until it is back)."""
        lost = self.failure is not None and self.failure.kind == "card_reader"
        self.failure = None
        self.kiosk.core.call_staff("")
        self.countdown_hide()
        for other in self.sm.screens:
            other.clear()
            for widget in other.walk(restrict=True):
                if isinstance(widget, TextInput):
                    widget.reset_undo()
        self.keys.reset()
        if lost:
            self.fail(failures.reader_lost(mid_flow=False))

    # -- failures -----------------------------------------------------------------------------------------------
    def fail(self, failure: failures.Failure) -> None:
        """Shows the failure screen over the current step (which keeps everything typed)."""
        self.hide_keyboard()
        self.failure = failure
        self.sm.get_screen("failure").show(failure)
        self.sm.current = "failure"
        log.warning("failure shown", extra={"fields": {"kind": failure.kind, "step": self.session.step.value}})

    def recover(self, kind: str | None = None) -> None:
        """The failure is over (the device is back, or a retry starts): back to the step as it was left."""
        if self.failure is None or (kind is not None and self.failure.kind != kind):
            return
        self.failure = None
        self.kiosk.core.call_staff("")
        self.sm.current = self.session.step.value
        self.refresh()

    def failure_retry(self) -> None:
        failure = self.failure
        if failure is None:
            return
        self.recover()
        if failure.kind in ("camera", "camera_silent") and self.session.step is Step.PHOTO:
            self.sm.get_screen("photo").enter(self.session)
            self._start_photo()
        elif failure.kind == "scanner" and self.session.step is Step.DOCUMENT:
            self.document_scan()
        elif failure.kind == "printer" and self.session.step is Step.PRINT:
            self.print_form()

    def call_staff(self) -> None:
        """呼叫工作人员: the terminal is flagged in the heartbeat (what failed, never who) until the failure ends."""
        failure = self.failure
        self.kiosk.core.call_staff(f"{failure.kind}: {failure.title}" if failure else "help")
        self.sm.get_screen("failure").staff_called()

    def exit_session(self) -> None:
        """退出，清除本人信息: the draft stays saved (the same card resumes it); the screen forgets the student."""
        self.wipe()

    def wipe(self) -> None:
        self.session.reset()
        self.refresh()

    def show_network(self, _dt=None) -> None:
        self.network.show(self.kiosk.core.sync_status())

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

    @property
    def idle_exempt(self) -> bool:
        """Printing, a failure waiting for the staff and operator screens never time out."""
        s = self.session
        return (s.step is Step.PRINT or (self.failure is not None and self.failure.waits_for_operator)
                or getattr(self.current_screen, "idle_exempt", False))

    def idle_left(self) -> float | None:
        s = self.session
        if s.step is Step.ATTRACT:
            return None
        if self.card_present or self.idle_exempt or s.last_activity is None:
            s.touch()
        return (s.idle_timeout - (s.clock() - s.last_activity)).total_seconds()

    def _tick(self, _dt=None) -> None:
        left = self.idle_left()
        if left is None:
            self.countdown_hide()
        elif left <= 0:
            log.info("session idle timeout", extra={"fields": {"step": self.session.step.value}})
            self.wipe()
        elif left <= self.idle_warning:
            self.countdown.show(math.ceil(left))
            if self.countdown.parent is None:
                self.hide_keyboard()
                self.root_layout.add_widget(self.countdown)
        else:
            self.countdown_hide()

    def countdown_hide(self) -> None:
        if self.countdown is not None and self.countdown.parent is not None:
            self.root_layout.remove_widget(self.countdown)

    def stay(self) -> None:
        """继续 on the countdown."""
        self.session.touch()
        self.countdown_hide()

    # -- card reader ----------------------------------------------------------------------------------------------
    def on_card_event(self, event) -> None:
        from kiosk.devices.card_reader import CardEventKind

        attract = self.sm.get_screen("attract")
        kind = event.kind
        self.card_present = kind in (CardEventKind.PLACED, CardEventKind.READ, CardEventKind.FAILED)
        if kind is CardEventKind.READER_LOST:  # a reader back within the grace (a hiccup) shows no failure
            attract.reader_status(event.error.message, problem=True)
            self._reader_lost = Clock.schedule_once(lambda _dt: self.fail(failures.reader_lost(
                mid_flow=self.session.step is not Step.ATTRACT)), READER_GRACE_S)
        elif kind in (CardEventKind.READER_READY, CardEventKind.REMOVED):
            attract.reader_status("")
            if self._reader_lost is not None:
                self._reader_lost.cancel()
                self._reader_lost = None
            self.recover("card_reader")
        elif kind is CardEventKind.FAILED:
            attract.reader_status(event.error.message, problem=True)
        elif kind in (CardEventKind.PLACED, CardEventKind.READ) and (self.session.paused
                                                                    or self.session.operator_present):
            attract.reader_status(PAUSED_PROMPT, problem=True)  # paused or in operator mode: no card is read now
        elif kind is CardEventKind.PLACED:
            attract.reader_status("正在读卡，请不要移动身份证…")
        elif kind is CardEventKind.READ and self.session.accepts_card:  # mid-registration: not theirs to start
            if not self.field.begin_session():
                attract.reader_status("终端正在升级，请稍候", problem=True)
                return
            attract.reader_status("")
            self.devices.card_read(event.card)  # the simulated document camera shows the card just read
            self.act("card_read", event.card, self.category)

    # -- photo ------------------------------------------------------------------------------------------------------
    def _start_photo(self) -> None:
        self._stop_photo()
        self.feeder = PhotoFeeder(self.devices.open_camera, self.session.policy.photo,
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
        if feeder is None or self.failure is not None:
            return
        if feeder.error or feeder.silent_for >= CAMERA_SILENT_S:
            failure = failures.camera_error(feeder.error) if feeder.error else failures.camera_silent(CAMERA_SILENT_S)
            self._stop_photo()
            self.fail(failure)
            return
        latest = feeder.take()
        if latest is None:
            return
        state, preview = latest
        if state.code != "no_face":  # someone follows the guidance: activity, though nobody touches
            self.session.touch()
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
        session, scanner = self.session, self.devices.scanner
        id_number, spec = session.record.id_number, session.policy.document

        def scan():
            try:
                image = scanner.scan()
            except Exception as exc:  # noqa: BLE001 - the device failed, not the picture
                return exc, None
            document = make_document(image, id_number, spec)
            return None, (document, session.face_match(document))  # the match here, off the UI thread

        def done(result, error) -> None:
            if self.session.step is not Step.DOCUMENT:
                return
            device_error, scanned = result or (None, None)
            if device_error is not None:
                if not isinstance(device_error, KioskError):
                    log.error("scanner failed", extra={"fields": {"error": type(device_error).__name__}})
                screen.show_document(None)
                self.fail(failures.scanner_error(getattr(device_error, "message", "")))
                return
            if error is not None:
                screen.show_document(None, error.message if isinstance(error, KioskError) else "扫描失败，请重试")
                return
            self._document = scanned  # (DocumentImage, FaceMatch | None)
            screen.show_document(scanned[0].image)

        self.background(scan, done)

    def document_use(self) -> None:
        if self._document is not None:
            self.act("document_scanned", *self._document)  # (document, its face match)

    # -- print ----------------------------------------------------------------------------------------------------
    def print_form(self) -> None:
        """The session prints (off the UI thread); the screen shows its outcome."""
        screen = self.sm.get_screen("print")
        screen.busy()
        session, printer = self.session, self.devices.printer

        def done(_step, error) -> None:
            if error is not None or session.step is Step.PRINT:
                job = session.print_outcome.job if session.print_outcome else None
                student = error.message if isinstance(error, KioskError) else session.errors.get("print", "")
                screen.failed(student)
                self.fail(failures.printer_failed(student, job.operator_alert if job else ""))
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
