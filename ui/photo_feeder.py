"""Camera frames fed to the PhotoSession on a worker thread, the UI taking the newest outcome when it likes."""
from __future__ import annotations

import logging
import threading
import time

from kiosk.errors import KioskError

log = logging.getLogger(__name__)
OPEN_ALLOWANCE_S = 10.0  # opening a camera and loading the face models may take this long before frames are due


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
        self._last_frame = time.monotonic()  # the start counts as a frame: silence is measured from there
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="photo-feeder", daemon=True)

    def start(self) -> "PhotoFeeder":
        self._last_frame = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        import cv2

        from kiosk.photo import Phase, PhotoSession

        try:
            self.camera.open()
            with self._lock:
                self.session = PhotoSession(self.spec)
                self._last_frame = time.monotonic()  # the models are loaded: from now on frames are due
            while not self._stop.is_set():
                with self._lock:
                    live = self.session.phase is Phase.LIVE
                if not live:
                    self._stop.wait(0.05)
                    continue
                began = time.monotonic()
                frame = self.camera.read(0.5)
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
                with self._slot_lock:
                    self._latest = (state, preview)
                if self.realtime:
                    self._stop.wait(max(0.0, 1 / self.fps - (time.monotonic() - began)))
        except KioskError as exc:
            self.error = exc.message
        except Exception:  # noqa: BLE001 - a broken camera must not take the app down
            log.exception("photo feeder failed")
            self.error = "摄像头故障，请联系工作人员"

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
            self.session.retake()
            self._last_frame = time.monotonic()

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
