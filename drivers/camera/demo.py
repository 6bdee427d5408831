"""The demo camera: a scripted student (a public-domain portrait, NASA's astronaut Eileen Collins, shipped as
astronaut.jpg beside this file) who sits too far left, moves to the centre, holds still and blinks; looping, so a
retake gets its own shot. What `camera = "simulator"` opens."""
from __future__ import annotations

from importlib import resources

import cv2
import numpy as np

from kiosk.devices.camera import Frame

from .scripted import Pose, ScriptedCamera, Subject

FACE_FILE = "astronaut.jpg"


def demo_face() -> np.ndarray:
    """The portrait, BGR (OpenCV only: no scikit-image on the kiosk)."""
    data = resources.files(__package__).joinpath(FACE_FILE).read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RuntimeError(f"{FACE_FILE} is not a readable image")
    return image


def demo_subject() -> Subject:
    """The scripted student, cut out once per process (FaceMesh and the person mask run on the portrait)."""
    global _subject
    if _subject is None:
        _subject = Subject(demo_face(), close_mouth=True)
    return _subject


_subject: Subject | None = None
CARD_PORTRAIT = (300, 390)  # width, height: the card's portrait box (200 x 260 on an 856-pixel card) x 1.5


def demo_portrait() -> np.ndarray:
    """The scripted student's portrait as her ID card prints it, BGR: the same source image the demo camera plays,
    frontal on the card's white ground, the head filling most of the box as on a real card: matched to the demo
    camera's finished photo at 0.13-0.14 (`same` below 0.20); a smaller head scans too coarse (0.19 at two thirds)."""
    return demo_subject().render(Pose(eye_y=0.44, head=0.9, backdrop=(246, 246, 246)), CARD_PORTRAIT)


class LoopingCamera:
    """Plays a camera's script again and again, the clock running on (a demo that never runs out of frames)."""

    def __init__(self, camera):
        self.camera, self._offset, self._last = camera, 0.0, 0.0

    def open(self) -> None:
        self.camera.open()

    @property
    def connected(self) -> bool:
        return self.camera.connected

    @property
    def fps(self) -> float:
        return self.camera.fps

    def read(self, timeout: float | None = None):
        frame = self.camera.read(timeout)
        if frame is None:
            self._offset = self._last + 1 / self.camera.fps
            self.camera.open()
            frame = self.camera.read(timeout)
        self._last = frame.timestamp + self._offset
        return Frame(frame.image, self._last, frame.index)

    def close(self) -> None:
        self.camera.close()


def demo_camera(*, loop: bool = False, fps: float = 15):
    """About 3.2 s from the first frame to a shot; loop=True repeats the script."""
    subject = demo_subject()
    blink = [(3.0, Pose(eyes_closed=True)), (3.1, Pose(eyes_closed=True)), (3.15, Pose())]
    script = [(0, Pose(face_x=0.25)), (1.0, Pose(face_x=0.25)), (1.6, Pose()), (2.9, Pose())] + blink + [(6, Pose())]
    camera = ScriptedCamera(subject, script, fps=fps, size=(960, 1280))
    return LoopingCamera(camera) if loop else camera
