"""The live photo step: feed camera frames, get steady Chinese guidance, auto-capture, two shots to choose from.

A Kivy screen or a test robot drives it the same way:
    session = PhotoSession(spec)
    state = session.feed(frame)        # every frame: state.message is what to show
    session.retake(); session.choose(0) -> FinalPhoto
Time comes from the frames' timestamps, so a scripted camera gives deterministic runs. A terminal keeps one
PhotoModels and takes each student's session from it (`with models.session() as session:`): the face models load
once, not per student.
"""
from __future__ import annotations

import contextlib
import enum
import threading
from collections.abc import Iterator

import numpy as np
from dataclasses import dataclass, field

from kiosk.devices.camera import Frame
from kiosk.errors import KioskError
from kiosk.policy import PhotoSpec

from .analysis import Analysis, FaceAnalyser
from .final import FinalPhoto, PhotoMaker
from .mesh import Graphs
from .problems import PRIORITY, Problem, problem
from .thresholds import Thresholds

MAX_SHOTS = 2


class Phase(enum.Enum):
    LIVE = "live"  # guiding the student
    REVIEW = "review"  # a shot was taken: choose it or retake
    DONE = "done"  # a shot was chosen


class Hysteresis:
    """A problem becomes active after `on` seconds present and stays active until `off` seconds absent."""

    def __init__(self, on: float = 0.25, off: float = 0.5):
        self.on, self.off = on, off
        self._since: dict[str, float] = {}  # code -> first seen (continuously present)
        self._gone: dict[str, float] = {}  # code -> first absent
        self.active: set[str] = set()

    def update(self, codes: set[str], now: float) -> set[str]:
        for code in codes:
            self._since.setdefault(code, now)
            self._gone.pop(code, None)
            if now - self._since[code] >= self.on:
                self.active.add(code)
        for code in list(self._since):
            if code not in codes:
                self._gone.setdefault(code, now)
                if now - self._gone[code] >= self.off or code not in self.active:
                    self._since.pop(code)
                    self._gone.pop(code, None)
                    self.active.discard(code)
        return self.active

    def reset(self) -> None:
        self._since.clear(), self._gone.clear(), self.active.clear()


@dataclass
class BlinkDetector:
    """A blink: eyes shut for at most `longest` seconds, then open again. Shut: the openness (lid gap over iris
    diameter, the measure the still check uses) below `ratio` of the student's own running open value (the
    median of the last `window` open frames), or below the absolute `floor`; a slow, shallow drift is not one."""

    ratio: float = 0.7
    floor: float = 0.35
    longest: float = 0.6
    window: int = 15
    closed_at: float | None = None
    last_blink: float | None = None
    opens: list = field(default_factory=list)

    @property
    def open_value(self) -> float | None:
        return float(np.median(self.opens)) if len(self.opens) >= 3 else None

    def update(self, eye_open: float, now: float) -> None:
        ref = self.open_value
        shut = eye_open < self.floor or ref is not None and eye_open < self.ratio * ref
        if shut:
            if self.closed_at is None:
                self.closed_at = now
            return
        self.opens = (self.opens + [eye_open])[-self.window:]
        if self.closed_at is not None:
            if now - self.closed_at <= self.longest:
                self.last_blink = now
            self.closed_at = None

    def reset(self) -> None:
        self.closed_at = self.last_blink = None
        self.opens = []


@dataclass
class Shot:
    photo: FinalPhoto
    timestamp: float


@dataclass
class SessionState:
    phase: Phase
    message: str  # Chinese, what to show now
    code: str | None  # the guidance's problem code, None when all is well
    progress: float = 0.0  # 0..1 of the stable period before the auto-capture
    shots: int = 0
    analysis: Analysis | None = None
    active: list[str] = field(default_factory=list)  # every active problem code, by priority


class PhotoSession:
    def __init__(self, spec: PhotoSpec, thresholds: Thresholds | None = None, *, stable_seconds: float = 1.0,
                 blink_window: float = 8.0, analyser: FaceAnalyser | None = None, maker: PhotoMaker | None = None):
        self.spec, self.t = spec, thresholds or Thresholds()
        self.analyser = analyser or FaceAnalyser(spec, self.t.capture(), tracking=True)  # what make accepts
        self.maker = maker or PhotoMaker(spec, self.t)
        # the models it loaded itself are its to close; given ones are the giver's
        self._owned = [m for m, given in ((self.analyser, analyser), (self.maker, maker)) if given is None]
        self.stable_seconds, self.blink_window = stable_seconds, blink_window
        self.hysteresis = Hysteresis()
        self.blink = BlinkDetector(self.t.blink_ratio, self.t.min_eye_open)
        self.shots: list[Shot] = []
        self.phase = Phase.LIVE
        self.chosen: FinalPhoto | None = None
        self._good_since: float | None = None
        self._shown: str | None = None

    def close(self) -> None:
        """Closes the models this session loaded itself (not those it was given)."""
        for model in self._owned:
            model.close()
        self._owned = []

    def feed(self, frame: Frame) -> SessionState:
        if self.phase is not Phase.LIVE:
            return self._state(None, "请选择一张照片，或重新拍摄" if self.phase is Phase.REVIEW else "照片已确认")
        now = frame.timestamp
        a = self.analyser.analyse(frame.image)
        raw = a.codes()
        if a.faces == 1:
            self.blink.update(a.eye_open, now)
        active = self.hysteresis.update(raw, now)
        shown = self._pick(active)
        if shown:
            self._good_since = None
            return self._state(a, problem(shown).message, shown)
        if self._good_since is None:
            self._good_since = now
        held = now - self._good_since
        progress = min(1.0, held / self.stable_seconds)
        blinked = self.blink.last_blink is not None and now - self.blink.last_blink <= self.blink_window
        if raw - {"eyes_closed"}:  # not yet steady enough to name: no advice, no praise
            return self._state(a, "请正对镜头坐好", None, progress)
        if raw or held < self.stable_seconds:
            return self._state(a, "很好，请保持不动", None, progress)
        if not blinked:
            return self._state(a, "请自然地眨一下眼睛", None, progress)
        try:
            photo = self.maker.make(frame.image, a)
        except KioskError as exc:
            self._good_since = None
            return self._state(a, exc.message, "capture_failed")
        self.shots.append(Shot(photo, now))
        self.phase = Phase.REVIEW
        return self._state(a, "拍摄完成，请选择照片或重新拍摄", None, 1.0)

    def _pick(self, active: set[str]) -> str | None:
        """Keeps showing the current message while it is active, unless a more important one appears."""
        if not active:
            self._shown = None
            return None
        best = min(active, key=lambda c: PRIORITY.get(c, 99))
        if self._shown in active and PRIORITY.get(self._shown, 99) <= PRIORITY.get(best, 99):
            return self._shown
        self._shown = best
        return best

    def _state(self, a: Analysis | None, message: str, code: str | None, progress: float = 0.0) -> SessionState:
        active = sorted(self.hysteresis.active, key=lambda c: PRIORITY.get(c, 99))
        return SessionState(self.phase, message, code, progress, len(self.shots), a, active)

    @property
    def can_retake(self) -> bool:
        return self.phase is Phase.REVIEW and len(self.shots) < MAX_SHOTS

    def retake(self) -> None:
        """Back to live guidance for the second shot (a fresh blink is needed)."""
        if not self.can_retake:
            raise KioskError(f"最多拍摄 {MAX_SHOTS} 张，请从已拍的照片中选择一张")
        self.phase = Phase.LIVE
        self.hysteresis.reset()
        self.blink.reset()
        self._good_since = None

    def choose(self, index: int) -> FinalPhoto:
        if not 0 <= index < len(self.shots):
            raise KioskError("请选择一张已拍摄的照片")
        self.chosen = self.shots[index].photo
        self.phase = Phase.DONE
        return self.chosen

    def warnings_for_operator(self) -> list[Problem]:
        return list(self.chosen.operator_warnings) if self.chosen else []


class PhotoModels:
    """The photo step's face models, lent to one PhotoSession at a time: the live FaceAnalyser and the PhotoMaker,
    whose still analyser runs on the same Graphs (one segmenter and one face detector for both, and for the face
    count; its still FaceMesh only if a still image is ever analysed), so a capture runs three MediaPipe graphs,
    not six. load() builds them (about 0.1 s with the first frame's run); close() closes them once the session
    holding them ends, and a later load() builds them again: the terminal closes them between students
    (ui.photo_feeder.release_face_models). With glibc tuned as the kiosk runs it (ui.commands.run.tune_malloc) and
    trimmed, a closed set gives its memory back: six build-run-close cycles in a row end at the same RSS, about
    70 MB under a set kept loaded. Between the students of one load only the analyser's per-subject state is
    forgotten (MediaPipe's own graph reset leaks)."""

    def __init__(self, spec: PhotoSpec, thresholds: Thresholds | None = None):
        self.spec, self.t = spec, thresholds or Thresholds()
        self._lent = threading.Lock()  # one session at a time: a MediaPipe graph is not for two threads
        self._loading = threading.Lock()
        self._models: tuple[FaceAnalyser, PhotoMaker] | None = None
        self.graphs: Graphs | None = None

    def load(self) -> tuple[FaceAnalyser, PhotoMaker]:
        """Loads the models now (a warm-up thread may call this ahead of the first photo)."""
        with self._loading:
            if self._models is None:
                graphs = Graphs()
                live = FaceAnalyser(self.spec, self.t.capture(), tracking=True, graphs=graphs)
                live.preload()  # what a live frame runs: the first photo does not wait for it
                self.graphs, self._models = graphs, (live, PhotoMaker(self.spec, self.t, graphs=graphs))
            return self._models

    @contextlib.contextmanager
    def session(self, **kwargs) -> Iterator[PhotoSession]:
        """A session on the shared models, waiting while another holds them; nothing of it is kept afterwards."""
        with self._lent:
            analyser, maker = self.load()
            analyser.forget()
            yield PhotoSession(self.spec, self.t, analyser=analyser, maker=maker, **kwargs)

    def close(self) -> None:
        with self._lent, self._loading:
            models, self._models = self._models, None
            graphs, self.graphs = self.graphs, None
        for model in models or ():
            model.close()
        if graphs is not None:
            graphs.close()
