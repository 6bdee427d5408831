"""KioskApp: the touch app and the composition root.

It reads the TerminalConfig, opens the devices (by default the same simulators and embedded central server the
robot uses: ui/robot.py), builds a RegistrationSession and one screen per Step, and then only shows the session's
state and forwards touches to it. Device work never runs on the UI thread:

- the card reader's poller runs in a thread (drivers.idcard.poller.run); its events reach the UI through
  Clock.schedule_once;
- camera frames are fed to the PhotoSession on a worker thread (PhotoFeeder); a Clock interval shows the newest
  outcome (guidance, progress, preview);
- scanning a document and printing the form run in threads and report back through Clock.schedule_once;
- session.tick runs on a one-second Clock interval (idle timeout back to attract).

Environment for Kivy (KIVY_NO_ARGS, KIVY_HOME, SDL_VIDEODRIVER...) must be set before this module is imported;
`kiosk run --ui` and tests/ui do that.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
import threading
import time
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

from .screens import SCREENS  # noqa: E402

log = logging.getLogger(__name__)

FONT = CJK_FONT  # Kivy opens face 0 of a .ttc: WenQuanYi Micro Hei


def register_font(path: str = FONT) -> None:
    """Every label and text field uses the CJK font (Kivy's default Roboto has no Chinese glyphs)."""
    if not Path(path).exists():
        raise KioskError("缺少中文字体，请联系技术人员", detail=f"font {path} missing (apt install fonts-wqy-microhei)")
    LabelBase.register(DEFAULT_FONT, path, path, path, path)


class PhotoFeeder:
    """Feeds camera frames to a PhotoSession on a worker thread; the UI takes the newest outcome when it likes.

    All PhotoSession calls hold one lock, so retake/choose from the UI never race a feed. With realtime=True a
    camera whose read() never waits (the scripted one) is paced to its frame rate; a live camera paces itself.
    """

    def __init__(self, camera, spec, *, fps: float = 15.0, realtime: bool = True, preview_height: int = 600):
        self.camera, self.spec, self.fps, self.realtime = camera, spec, fps, realtime
        self.preview_height = preview_height
        self.session = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._slot_lock = threading.Lock()
        self._latest = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="photo-feeder", daemon=True)

    def start(self) -> "PhotoFeeder":
        self._thread.start()
        return self

    def _run(self) -> None:
        import cv2

        from kiosk.photo import Phase, PhotoSession

        try:
            self.camera.open()
            with self._lock:
                self.session = PhotoSession(self.spec)
            while not self._stop.is_set():
                with self._lock:
                    live = self.session.phase is Phase.LIVE
                if not live:
                    self._stop.wait(0.05)
                    continue
                began = time.monotonic()
                frame = self.camera.read(0.5)
                if frame is None:
                    continue
                with self._lock:
                    state = self.session.feed(frame)
                h, w = frame.image.shape[:2]
                scale = self.preview_height / h
                preview = cv2.flip(cv2.resize(frame.image, (round(w * scale), self.preview_height),
                                              interpolation=cv2.INTER_AREA), 1)  # a mirror for the student
                with self._slot_lock:
                    self._latest = (state, preview)
                if self.realtime:
                    self._stop.wait(max(0.0, 1 / self.fps - (time.monotonic() - began)))
        except KioskError as exc:
            self.error = exc.message
        except Exception:  # noqa: BLE001 - a broken camera must not take the app down
            log.exception("photo feeder failed")
            self.error = "摄像头故障，请联系工作人员"

    def take(self):
        """The newest (SessionState, mirrored BGR preview) not taken before, or None."""
        with self._slot_lock:
            latest, self._latest = self._latest, None
        return latest

    def shots(self) -> list:
        with self._lock:
            return [shot.photo for shot in self.session.shots] if self.session else []

    @property
    def can_retake(self) -> bool:
        with self._lock:
            return bool(self.session and self.session.can_retake)

    def retake(self) -> None:
        with self._lock:
            self.session.retake()

    def choose(self, index: int):
        with self._lock:
            return self.session.choose(index)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            if self.session is not None:
                self.session.close()
                self.session = None
        self.camera.close()


class Devices:
    """The card reader, cameras and printer named by the config; simulators unless the config names hardware."""

    def __init__(self, config: TerminalConfig, workdir: Path, demo_card=None):
        from drivers.idcard.poller import CardPoller

        from .robot import demo_scanner, open_printer, start_card_simulator

        self.simulator = self.control = None
        if config.card_reader == "simulator":
            from kiosk.record import example_card

            self.control = workdir / "idcard.ctl"
            port = workdir / "idcard"
            self.simulator = start_card_simulator(port, demo_card or example_card(), control=self.control)
        elif config.card_reader == "auto":
            from drivers.idcard.probe import probe

            found = probe()
            if not found:
                raise KioskError("未找到身份证阅读器，请联系技术人员", detail="no reader found by probing")
            port = found[0].port
        else:
            port = config.card_reader
        self.poller = CardPoller(str(port), interval=0.1 if self.simulator else 0.3)
        if config.document_camera != "simulator":
            raise KioskError("暂不支持该文档摄像头配置，请联系技术人员",
                             detail=f"document_camera {config.document_camera!r} not supported yet")
        self.scanner = demo_scanner()
        self.printer = open_printer(config, workdir)
        self.camera_source = config.camera

    @property
    def simulated_camera(self) -> bool:
        return self.camera_source == "simulator"

    def open_camera(self):
        if self.simulated_camera:
            from .robot import demo_camera

            return demo_camera(loop=True)
        from drivers.camera.opencv import OpenCVCamera

        source = int(self.camera_source) if self.camera_source.isdigit() else self.camera_source
        return OpenCVCamera(source)

    def simulate(self, line: str) -> str:
        from drivers.idcard.simulator import control

        return control(self.control, line)

    def close(self) -> None:
        self.poller.close()
        if self.simulator is not None:
            self.simulator.stop()
        self.scanner.close()


class KioskApp(App):
    title = "考生信息采集终端"

    def __init__(self, config: TerminalConfig | None = None, *, category: str = "grade9",
                 at: dt.datetime | None = None, workdir: str | Path | None = None, realtime_camera: bool = True,
                 fullscreen: bool = False, say: Callable[[str], None] = print, **kwargs):
        super().__init__(**kwargs)
        self.terminal_config = config or TerminalConfig()
        self.category, self.at, self.realtime_camera, self.fullscreen = category, at, realtime_camera, fullscreen
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kiosk-ui-"))
        self.say = say
        self.backend = self.devices = self.session = self.sm = None
        self.keyboard = None  # the on-screen keyboard (ui/keyboard.py) when available
        self.feeder: PhotoFeeder | None = None
        self._photo_clock = None
        self._document = None
        self._shown: Step | None = None
        self._stop_poller = threading.Event()
        self._poller_thread: threading.Thread | None = None

    # -- composition ----------------------------------------------------------------------------------------------
    def build(self):
        from kivy.core.window import Window

        from .robot import print_service, start_backend

        register_font()
        Window.clearcolor = (0.95, 0.96, 0.98, 1)
        if self.fullscreen:
            Window.fullscreen = "auto"
        else:
            Window.size = (1280, 800)  # the kiosk's screen, also when a window existed before the app
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.backend = start_backend(self.terminal_config, self.workdir, category=self.category, at=self.at,
                                     say=self.say)
        self.devices = Devices(self.terminal_config, self.workdir,
                               self.backend.example.card if self.backend.example else None)
        self.print_service = print_service(self.backend.store, self.devices.printer)
        self.policy = self.backend.policy
        self.session = self.backend.session()
        self.sm = ScreenManager(transition=NoTransition())
        for screen_class in SCREENS:
            self.sm.add_widget(screen_class(self))
        self.keyboard = self._make_keyboard()
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        self.refresh()
        return self.sm

    def on_start(self) -> None:
        from drivers.idcard.poller import run

        def deliver(event) -> None:
            Clock.schedule_once(lambda _dt: self.on_card_event(event))

        self._poller_thread = threading.Thread(target=run, args=(self.devices.poller, deliver, self._stop_poller),
                                               name="card-poller", daemon=True)
        self._poller_thread.start()
        Clock.schedule_interval(self._tick, 1.0)

    def on_stop(self) -> None:
        self._stop_poller.set()
        self._stop_photo()
        if self._poller_thread:
            self._poller_thread.join(3)
        if self.devices:
            self.devices.close()
        if self.backend:
            self.backend.close()

    def _make_keyboard(self):
        """The on-screen keyboard (ui/keyboard.py); None when it cannot load: plain fields (hardware keyboard)."""
        try:
            from .keyboard import OnScreenKeyboard
        except ImportError:
            return None
        try:
            board = OnScreenKeyboard(key_height=64)  # 64 px keys leave room for the field being typed into
        except Exception:  # noqa: BLE001 - a broken keyboard must not stop the kiosk
            log.exception("on-screen keyboard failed to start")
            return None
        board.bind(on_confirm=self._keyboard_confirm)
        return board

    # -- what the screens call ------------------------------------------------------------------------------------
    @property
    def simulated_card(self) -> bool:
        return self.devices is not None and self.devices.control is not None

    def terminal_caption(self) -> str:
        c = self.terminal_config
        demo = "（模拟设备）" if self.simulated_card else ""
        return f"{c.school_name}　终端 {self.backend.terminal.terminal_id}{demo}"

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

    def reset(self) -> None:
        self.session.reset()
        self.refresh()

    def attachment(self, kind: str) -> bytes | None:
        try:
            return self.backend.store.attachment(self.session.record.record_id, kind)
        except KioskError:
            return None

    def simulate_card(self) -> None:
        """Demo only: lays the demo card on the simulated reader (lifting it first if it lies there already)."""
        try:
            status = json.loads(self.devices.simulate("status").removeprefix("ok "))
            if status.get("present"):
                self.devices.simulate("remove")
                Clock.schedule_once(lambda _dt: self.devices.simulate("place"), 0.5)
            else:
                self.devices.simulate("place")
        except (OSError, ValueError) as exc:
            log.warning("simulator control failed", extra={"fields": {"error": str(exc)}})

    def input_focused(self, text_input, focused: bool) -> None:
        """A field was touched (or left): the on-screen keyboard edits it and the form scrolls it into view."""
        board = self.keyboard
        if board is None:
            if focused:
                text_input.show_keyboard()  # managed mode: binds the hardware keyboard on a development machine
            else:
                text_input.hide_keyboard()
            return
        if focused:
            if board.target is not text_input:
                board.set_target(text_input, layout=text_input.keyboard_layout)
            if text_input.latin:
                board.mode = "en"
            self._show_keyboard(True)
            Clock.schedule_once(lambda _dt: self._scroll_to(text_input), 0)
        elif board.target is text_input:
            Clock.schedule_once(lambda _dt: self._show_keyboard(bool(board.target and board.target.focus)), 0)

    def hide_keyboard(self) -> None:
        if self.keyboard is not None:
            self.keyboard.set_target(None)
            self._show_keyboard(False)

    def _show_keyboard(self, shown: bool) -> None:
        board, screen = self.keyboard, self.current_screen
        shown = shown and screen.keyboard_slot_wanted
        if board.parent is not None and (not shown or board.parent is not screen.keyboard_slot):
            board.parent.height = 0
            board.parent.remove_widget(board)
        if shown:
            if board.parent is None:
                screen.keyboard_slot.add_widget(board)
            screen.keyboard_slot.height = board.height
        else:
            if board.target is not None:
                board.set_target(None)
        screen.keyboard_shown(shown)

    def _keyboard_confirm(self, board, target) -> None:
        """确定 on the keyboard: on to the next field; after the last one the keyboard goes and 下一步 shows."""
        inputs = self.current_screen.inputs()
        if target in inputs and inputs.index(target) + 1 < len(inputs):
            following = inputs[inputs.index(target) + 1]
            board.set_target(following, layout=following.keyboard_layout)
        else:
            self.hide_keyboard()

    @staticmethod
    def _scroll_to(widget) -> None:
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            parent = parent.parent if parent.parent is not parent else None  # the window is its own parent
        if parent is not None and widget.get_root_window() is not None and parent.children \
                and parent.children[0].minimum_height > parent.height:
            parent.scroll_to(widget.parent, padding=12, animate=False)

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
                if self.keyboard is not None:
                    self.keyboard.reset()  # no composition or pinyin history carried to the next student
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
        if kind is CardEventKind.READER_READY:
            attract.reader_status("")
        elif kind is CardEventKind.READER_LOST:
            attract.reader_status(event.error.message, problem=True)
        elif kind is CardEventKind.PLACED:
            attract.reader_status("正在读卡，请不要移动身份证…")
        elif kind is CardEventKind.FAILED:
            attract.reader_status(event.error.message, problem=True)
        elif kind is CardEventKind.REMOVED:
            attract.reader_status("")
        elif kind is CardEventKind.READ:
            if self.session.step not in (Step.ATTRACT, Step.REFUSED, Step.DONE):
                return  # a card laid in the middle of someone's registration is not theirs to start
            if self.session.step is not Step.ATTRACT:
                self.session.reset()
            attract.reader_status("")
            if hasattr(self.devices.scanner, "lay"):
                self.devices.scanner.lay(event.card)  # the simulated document camera shows the card just read
            self.act("card_read", event.card, self.category)

    # -- photo ------------------------------------------------------------------------------------------------------
    def _start_photo(self) -> None:
        self._stop_photo()
        self.feeder = PhotoFeeder(self.devices.open_camera(), self.policy.photo, realtime=self.realtime_camera).start()
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
        self.act("photo_taken", photo.jpeg)

    # -- document -------------------------------------------------------------------------------------------------
    def document_scan(self) -> None:
        from kiosk.document import make_document

        screen = self.sm.get_screen("document")
        screen.busy()
        id_number, spec, scanner = self.session.record.id_number, self.policy.document, self.devices.scanner

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
            self.act("document_scanned", self._document.jpeg)

    # -- print ----------------------------------------------------------------------------------------------------
    def print_form(self) -> None:
        screen = self.sm.get_screen("print")
        screen.busy()
        record_id, worker = self.session.record.record_id, self.backend.worker

        def work():
            worker.kick()  # the submitted record goes to the server while the form prints
            return self.print_service.print_record(record_id)

        def done(outcome, error) -> None:
            if self.session.step is not Step.PRINT:
                return
            if error is not None:
                screen.failed(error.message if isinstance(error, KioskError) else "")
                return
            if not outcome.ok:
                screen.failed(outcome.job.student_message)
            self.act("printed", ok=outcome.ok)
            self.backend.worker.kick()

        self.background(work, done)

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

