"""KioskApp: the touch app's controller. It builds the terminal through the composition root (ui/wiring.py, the
same build the robot and the commands use), makes one screen per session Step, and then only shows the session's
state and forwards touches to it: every rule and every write is the session's. Its parts:

- ui/device_steps.py: the device work of the steps (card events, camera, scanner, printer), never on the UI thread;
- ui/failures.py: when the failure screen (ui/screens/failure.py) lies over the step, which keeps what was typed;
- ui/idle.py: the idle countdown and wipe;
- ui/operator_mode.py: operator mode; ui/keyboard_host.py: the on-screen keyboard; ui/field.py: the watchdog,
  update lock and identify hooks; ui/voice.py: the spoken prompts.
The network indicator, the idle countdown and the identify flash lie over every screen (ui/overlays.py).

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
from kiosk.session import Step  # noqa: E402

from .device_steps import DeviceSteps, background  # noqa: E402
from .failures import FailureControl  # noqa: E402
from . import textures  # noqa: E402
from .field import FieldHooks  # noqa: E402
from .idle import IdleWatch  # noqa: E402
from .keyboard_host import KeyboardHost  # noqa: E402
from .operator_mode import OperatorMode  # noqa: E402
from .commands.run import release_memory  # noqa: E402
from .overlays import NetworkBadge  # noqa: E402
from .photo_feeder import release_face_models  # noqa: E402
from .photo_feeder import warm as warm_photo  # noqa: E402
from .screens import SCREENS  # noqa: E402
from .screens import failure as failure_screen  # noqa: E402
from .voice import VoicePrompts  # noqa: E402

log = logging.getLogger(__name__)

FONT = CJK_FONT  # Kivy opens face 0 of a .ttc: WenQuanYi Micro Hei
STUDENT_STEPS = {step.value for step in Step} - {Step.ATTRACT.value}  # the screens a student's visit shows
EXIT_STEPS = (Step.IDENTITY, Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT, Step.PHOTO, Step.DOCUMENT,
              Step.REVIEW, Step.PASSWORD)  # 退出，清除本人信息 (done, printed, refused already lead home)


def register_font(path: str = FONT) -> None:
    """Every label and text field uses the CJK font (Kivy's default Roboto has no Chinese glyphs)."""
    if not Path(path).exists():
        raise KioskError("缺少中文字体，请联系技术人员", detail=f"font {path} missing (apt install fonts-wqy-microhei)")
    LabelBase.register(DEFAULT_FONT, path, path, path, path)
    textures.drop_render_surfaces()


class KioskApp(App):
    title = "考生信息采集终端"

    def __init__(self, config: TerminalConfig | None = None, *, category: str = "grade9",
                 at: dt.datetime | None = None, workdir: str | Path | None = None, realtime_camera: bool = True,
                 fullscreen: bool = False, say: Callable[[str], None] = print, voice: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.terminal_config = config or TerminalConfig()
        self.category, self.at, self.realtime_camera, self.fullscreen = category, at, realtime_camera, fullscreen
        self.workdir = Path(workdir) if workdir else None
        self.say = say
        self.voice_wanted = voice  # spoken prompts (ui/voice.py): `kiosk run --ui` turns them on, tests rarely
        self.voice: VoicePrompts | None = None
        self.kiosk = self.devices = self.session = self.sm = self.keys = self.operator = None
        self._shown: Step | None = None
        self._stop_poller = threading.Event()
        self._poller_thread: threading.Thread | None = None
        self._intervals: list = []
        self.work = DeviceSteps(self)  # the steps' device work
        self.failures = FailureControl(self)  # the failure shown over the step
        self.idle: IdleWatch | None = None
        self.root_layout = self.network = self.field = None

    # -- composition ----------------------------------------------------------------------------------------------
    def build(self):
        screen = self.terminal_config.model_copy(update={"fullscreen": True}) if self.fullscreen \
            else self.terminal_config
        theme.configure(screen)  # the config's size, or borderless over the display, for a window made now
        from kivy.core.window import Window

        from .wiring import build, prestart_ui

        prestart_ui()  # the pinyin runtime starts beside the build
        register_font()
        theme.set_scale(screen)  # type and targets for this panel (density-independent sizes)
        Window.clearcolor = theme.BACKGROUND
        theme.apply(Window, screen)  # also when a window existed before the app
        self.kiosk = build(self.terminal_config, data_dir=self.workdir, category=self.category, at=self.at,
                           say=self.say)
        self.devices = self.kiosk.devices
        if self.voice_wanted:
            paths = self.kiosk.paths
            self.voice = VoicePrompts(paths.voice_cache, state_file=paths.voice_state)
        self.session = self.kiosk.session()
        self.sm = ScreenManager(transition=NoTransition())
        for screen_class in (*SCREENS, failure_screen.FailureScreen):
            self.sm.add_widget(screen_class(self))
        self.sm.bind(current=textures.on_current)  # a screen's released labels render before it is drawn
        for step in EXIT_STEPS:
            failure_screen.add_exit_button(self.sm.get_screen(step.value), self.exit_session)
        self.keys = KeyboardHost(lambda: self.current_screen)
        self.operator = OperatorMode(self)  # operator screens, the badge and the attract corner's long press
        self.idle = IdleWatch(self)
        Window.bind(on_touch_down=self.idle.activity, on_key_down=self.idle.activity)
        self.root_layout = FloatLayout()
        self.root_layout.add_widget(self.sm)
        self.network = NetworkBadge()
        self.root_layout.add_widget(self.network)
        self.root_layout.bind(size=self.network.place, pos=self.network.place)
        self.field = FieldHooks(self)
        self.refresh()
        return self.root_layout

    def on_start(self) -> None:
        from drivers.idcard.poller import run

        def deliver(event) -> None:
            Clock.schedule_once(lambda _dt: self.work.on_card_event(event))

        self._poller_thread = threading.Thread(target=run, args=(self.devices.card_reader.poller, deliver,
                                                                 self._stop_poller),
                                               name="card-poller", daemon=True)
        self._poller_thread.start()
        self._intervals = [Clock.schedule_interval(self.idle.tick, 1.0),
                           Clock.schedule_interval(self.show_network, 2.0),
                           Clock.schedule_once(lambda _dt: warm_photo(self.devices.open_camera))]
        self.field.start()
        self.operator.start()

    def on_stop(self) -> None:
        for event in self._intervals:  # the Clock outlives the app (tests run several apps in one process)
            event.cancel()
        self.work.stop_photo()
        self.failures.stop()
        if self.field is not None:
            self.field.stop()
        self._stop_poller.set()
        if self.operator is not None:
            self.operator.stop()
        if self._poller_thread:
            self._poller_thread.join(3)
        if self.voice is not None:
            self.voice.close()
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
        return f"{c.school_name}　终端{self.kiosk.station.terminal_id}{demo}"

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

        def send(command: str) -> str:
            try:
                return reader.simulate(command)
            except OSError as exc:  # the simulator stopped (the app closing): nothing to lay the card on
                log.warning("simulator control failed", extra={"fields": {"error": str(exc)}})
                return ""

        try:
            status = json.loads(send("status").removeprefix("ok ") or "{}")
        except ValueError as exc:
            log.warning("simulator control failed", extra={"fields": {"error": str(exc)}})
            return
        if status.get("present"):
            send("remove")
            Clock.schedule_once(lambda _dt: send("place"), 0.5)  # may fire after the app closed the simulator
        else:
            send("place")

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
            self.work.left(self._shown)
            self.hide_keyboard()
            if step is Step.ATTRACT:
                self._wipe_widgets()
                self.field.end_session()
                release_face_models(then=release_memory)  # the last student's graphs and buffers go back
            screen.enter(self.session)
            self._shown = step
            self.sm.current = step.value
            self.field.status(step.value)
            self.work.entered(step)
            if step is not Step.ATTRACT:  # the attract screen waits in silence
                self.speak(self.session.prompt)
            if step is Step.REFUSED and self.session.refusal == [SealBroken().message]:
                self.failures.seal_broken()
        screen.show_state(self.session)
        if self.failures.current is not None:
            self.sm.current = "failure"

    def _wipe_widgets(self) -> None:
        """Nothing of the last student stays in any widget, nor in a text field's undo history. A lost reader
        stays on screen (nobody can start until it is back)."""
        self.idle.hide()
        for other in self.sm.screens:
            other.clear()
            for widget in other.walk(restrict=True):
                if isinstance(widget, TextInput):
                    widget.reset_undo()
            if other.name in STUDENT_STEPS:
                textures.release(other)  # its labels render again when it is next shown
        self.keys.reset()
        self.failures.clear()

    @property
    def failure(self):
        """The failure shown over the step (None when there is none)."""
        return self.failures.current


    def exit_session(self) -> None:
        """退出，清除本人信息: the draft stays saved (the same card resumes it); the screen forgets the student."""
        self.wipe()

    def wipe(self) -> None:
        self.session.reset()
        self.refresh()

    def speak(self, text: str) -> None:
        """A fixed prompt read aloud (rendered and cached off the UI thread; nothing when muted or off)."""
        if self.voice is not None and text:
            self.voice.say(text)

    def show_network(self, _dt=None) -> None:
        self.network.show(self.kiosk.core.sync_status())

    background = staticmethod(background)  # operator mode's work off the UI thread too
