"""Camera frames fed to the PhotoSession on a worker thread, the UI taking the newest outcome when it likes.

The face models (kiosk.photo.session.PhotoModels, one per photo spec: `models_for`) are lent to each student's
session. Their MediaPipe graphs are a student's: `warm_models` builds them in the background once a card is read
(the student types for a minute before the photo step), `release_face_models` closes them, and lets the face
matcher go, once the student has gone, so the attract screen holds none (about 80 MB, bench_ui). `warm` imports
MediaPipe and builds the camera after the attract screen, so neither the start-up nor the first photo waits for
them. Everything of a student lives in the feeder's thread and goes with it: the session and its shots, the newest
frame, the camera opened and closed there.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from kiosk.errors import KioskError

log = logging.getLogger(__name__)
OPEN_ALLOWANCE_S = 10.0  # opening a camera and loading the face models may take this long before frames are due

_models = None  # the PhotoModels of the spec in use
_models_lock = threading.Lock()


def models_for(spec):
    """The terminal's PhotoModels for this photo spec (a policy pulled with another spec gets new ones; the old
    ones close once their last session ends)."""
    global _models
    from kiosk.photo.session import PhotoModels

    with _models_lock:
        old = _models
        if old is None or old.spec != spec:
            _models = PhotoModels(spec)
    if old is not None and old is not _models:
        threading.Thread(target=old.close, name="photo-models-close", daemon=True).start()
    return _models


def import_mediapipe() -> None:
    """Imports MediaPipe (kiosk.photo.mesh.import_mediapipe: without its drawing helpers) on a thread of its own. Its
    module keeps the ImportError of an optional dependency (sounddevice) with its traceback, and so every frame of
    the stack that first imported it, for good: never a student's feeder thread, whose frame holds the session and
    its shots."""
    if "mediapipe" in sys.modules:
        return
    from kiosk.photo.mesh import import_mediapipe as load

    thread = threading.Thread(target=load, name="mediapipe-import", daemon=True)
    thread.start()
    thread.join()


def warm(camera: Callable[[], object] | None = None, *, after: float = 2.0) -> threading.Thread:
    """Imports MediaPipe and builds the camera on a background thread, `after` seconds from now (the start-up and
    the attract screen's first frames draw without it competing)."""

    def run() -> None:
        time.sleep(after)
        try:
            import_mediapipe()
            if camera is not None:
                camera()
            from .commands.run import release_memory

            release_memory()  # what building it freed (the simulated camera's own models) goes back
        except Exception:  # noqa: BLE001 - the photo step builds it again and shows its own failure
            log.exception("photo warm-up failed")

    thread = threading.Thread(target=run, name="photo-warm", daemon=True)
    thread.start()
    return thread


def warm_models(spec) -> threading.Thread:
    """Builds the face graphs for the student whose card was just read, on a background thread (0.1-0.2 s of CPU
    that never holds the interpreter for more than ~15 ms at a time): the photo step's first frame does not wait."""

    def run() -> None:
        try:
            import_mediapipe()
            models_for(spec).load()
        except Exception:  # noqa: BLE001 - the photo step loads them again and shows its own failure
            log.exception("face model warm-up failed")

    thread = threading.Thread(target=run, name="face-models-warm", daemon=True)
    thread.start()
    return thread


def release_face_models(then: Callable[[], None] | None = None) -> threading.Thread:
    """Closes the last student's face graphs on a background thread: the photo step's (once its feeder has let go
    of them), and lets the face matcher go; then calls `then` (the malloc trim). Closed and trimmed, their ~80 MB
    goes back to the system and comes back for the next student only (bench_ui: 20 students in a row stay flat)."""

    def run() -> None:
        with _models_lock:
            models = _models
        try:
            if models is not None:
                models.close()
            if "kiosk.photo.match" in sys.modules:
                from kiosk.photo.match import release_matcher

                release_matcher()
        finally:
            if then is not None:
                then()

    thread = threading.Thread(target=run, name="face-models-release", daemon=True)
    thread.start()
    return thread


class PhotoFeeder:
    """Feeds camera frames to a PhotoSession on a worker thread; the UI takes the newest outcome when it likes.

    `camera` is a camera or a callable giving one (called on the worker thread: building a camera may take
    seconds). All PhotoSession calls hold one lock, so retake/choose from the UI never race a feed. With
    realtime=True a camera whose read() never waits (the scripted one) is paced to its frame rate; a live camera
    paces itself.
    """

    def __init__(self, camera, spec, *, fps: float = 15.0, realtime: bool = True, preview_height: int = 600,
                 models=None):
        self._camera_source, self.spec, self.fps, self.realtime = camera, spec, fps, realtime
        self.preview_height = preview_height
        self.models = models
        self.session = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._slot_lock = threading.Lock()
        self._latest = None
        self._last_frame = time.monotonic()  # the start counts as a frame: silence is measured from there
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="photo-feeder", daemon=True)

    def start(self) -> "PhotoFeeder":
        self._last_frame = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        camera = None
        try:
            import_mediapipe()  # (the scripted camera and the models use it)
            source = self._camera_source
            camera = source() if callable(source) else source
            models = self.models or models_for(self.spec)
            with models.session() as session:  # waits for the last student's feeder to let go of the models
                if self._stop.is_set():
                    return
                camera.open()
                try:
                    with self._lock:
                        self.session = session
                        self._last_frame = time.monotonic()  # the models are loaded: from now on frames are due
                    self._feed(camera)
                finally:
                    with self._lock:
                        self.session = None
                    with self._slot_lock:
                        self._latest = None
                    camera.close()
        except KioskError as exc:
            self.error = exc.message
        except Exception:  # noqa: BLE001 - a broken camera must not take the app down
            log.exception("photo feeder failed")
            self.error = "摄像头故障，请联系工作人员"

    def _feed(self, camera) -> None:
        import cv2

        from kiosk.photo import Phase

        while not self._stop.is_set():
            with self._lock:
                live = self.session.phase is Phase.LIVE
            if not live:
                self._stop.wait(0.05)
                continue
            began = time.monotonic()
            frame = camera.read(0.5)
            if frame is None:
                self._stop.wait(0.02)  # a camera that answers at once with nothing: no busy loop
                continue
            self._last_frame = time.monotonic()
            with self._lock:
                state = self.session.feed(frame)
            h, w = frame.image.shape[:2]
            scale = self.preview_height / h
            preview = cv2.flip(cv2.resize(frame.image, (round(w * scale), self.preview_height),
                                          interpolation=cv2.INTER_AREA), 1)  # a mirror for the student
            del frame
            with self._slot_lock:
                self._latest = (state, preview)
            if self.realtime:
                self._stop.wait(max(0.0, 1 / self.fps - (time.monotonic() - began)))

    @property
    def silent_for(self) -> float:
        """Seconds since the last frame came while live (since the start when none came); 0 while reviewing."""
        from kiosk.photo import Phase

        with self._lock:
            if self.session is None:  # opening the camera and loading the models: OPEN_ALLOWANCE_S more
                return max(0.0, time.monotonic() - self._last_frame - OPEN_ALLOWANCE_S)
            if self.session.phase is not Phase.LIVE:
                return 0.0  # reviewing the shots
        return time.monotonic() - self._last_frame

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
            if self.session is None:
                raise KioskError("摄像头已关闭，请重新进入拍照步骤")
            self.session.retake()
            self._last_frame = time.monotonic()

    def choose(self, index: int):
        with self._lock:
            if self.session is None:
                raise KioskError("摄像头已关闭，请重新进入拍照步骤")
            return self.session.choose(index)

    def stop(self) -> None:
        """Ends the session: the worker closes the camera and lets go of the models (waited for up to 5 s)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
