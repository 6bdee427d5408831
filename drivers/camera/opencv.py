"""OpenCV capture (a UVC device index or a path/URL) with a thread that keeps only the newest frame and reopens
the camera when it disappears. Also the looping file camera (an image or a video) for simulation."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.camera import Frame
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


class LatestFrame:
    """A one-slot mailbox: the producer overwrites, the consumer waits for a frame it has not seen."""

    def __init__(self):
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken = -1

    def put(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout: float | None) -> Frame | None:
        with self._cond:
            fresh = lambda: self._frame is not None and self._frame.index != self._taken
            if not self._cond.wait_for(fresh, timeout):
                return None
            self._taken = self._frame.index
            return self._frame


class OpenCVCamera:
    """Camera protocol over cv2.VideoCapture; `source` is a device index or a path/URL."""

    def __init__(self, source: int | str, *, width: int = 1920, height: int = 1080, exposure: float | None = None,
                 reopen_interval: float = 1.0, loop: bool = False, fps: float | None = None):
        self.source, self.width, self.height, self.exposure = source, width, height, exposure
        self.reopen_interval, self.loop, self.fps = reopen_interval, loop, fps
        self._slot = LatestFrame()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cap: cv2.VideoCapture | None = None
        self._connected = False
        self._index = 0

    @property
    def connected(self) -> bool:
        return self._connected

    def _open_capture(self) -> cv2.VideoCapture | None:
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            return None
        if isinstance(self.source, int):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.exposure is not None:
                cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2: manual
                cap.set(cv2.CAP_PROP_EXPOSURE, self.exposure)
        return cap

    def open(self) -> None:
        self._cap = self._open_capture()
        if self._cap is None:
            raise KioskError("无法打开摄像头，请联系工作人员检查摄像头连接", detail=f"cannot open camera {self.source!r}")
        self._connected = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="camera-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._cap is None:
                self._cap = self._open_capture()
                if self._cap is None:
                    self._stop.wait(self.reopen_interval)
                    continue
                log.info("camera reopened", extra={"fields": {"source": str(self.source)}})
                self._connected = True
            ok, image = self._cap.read()
            if not ok and self.loop:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self._cap.read()
            if not ok:
                log.warning("camera lost", extra={"fields": {"source": str(self.source)}})
                self._connected = False
                self._cap.release()
                self._cap = None
                continue
            self._slot.put(Frame(image, time.monotonic(), self._index))
            self._index += 1
            if self.fps:
                self._stop.wait(1 / self.fps)

    def read(self, timeout: float | None = None) -> Frame | None:
        return self._slot.take(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._connected = False


class ImageCamera:
    """A still image (or a list of them) served as a live camera at `fps`, in a loop."""

    def __init__(self, images: list[np.ndarray] | np.ndarray | str | Path, *, fps: float = 30.0):
        if isinstance(images, (str, Path)):
            image = cv2.imread(str(images), cv2.IMREAD_COLOR)
            if image is None:
                raise KioskError("无法读取模拟摄像头图像文件", detail=f"unreadable image {images}")
            images = [image]
        self.images = images if isinstance(images, list) else [images]
        self.fps = fps
        self._index = 0
        self._open = False

    @property
    def connected(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def read(self, timeout: float | None = None) -> Frame | None:
        if not self._open:
            return None
        frame = Frame(self.images[self._index % len(self.images)], self._index / self.fps, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._open = False


def file_camera(path: str | Path, *, fps: float = 30.0):
    """A looping camera from an image or a video file."""
    if cv2.imread(str(path), cv2.IMREAD_COLOR) is not None:
        return ImageCamera(path, fps=fps)
    return OpenCVCamera(str(path), loop=True, fps=fps)
