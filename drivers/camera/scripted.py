"""A scripted subject: a real face photograph cut out once (MediaPipe selfie segmentation), then placed on a
backdrop frame by frame: moved, scaled, turned in the image plane, re-lit, blurred, with eyes shut on demand.

Tests and benchmarks drive the photo guidance with it, frame by frame, on a deterministic clock.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

import cv2
import numpy as np

from kiosk.devices.camera import Frame

BLUE = (67, 142, 219)  # RGB of the backdrop used for composites
RIGHT_EYE_RING = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_RING = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
LOWER_LIP_BAND = (17, 84, 314)  # points on the lower lip's outer edge, to sample its colour
# Rendered frames kept (least recently shown dropped first): a held pose is rendered once, and so is a blink's
# shut-eyes pose between two held ones; a moving subject's poses are each new. A 1280 x 960 frame is 3.7 MB: the
# first 8 distinct poses kept for good were 30 MB of the kiosk's RSS in the demo (bench_ui), mostly poses of the
# move to the centre that never came again.
RENDERED_KEPT = 2


@dataclass(frozen=True)
class Pose:
    """Where and how the subject appears; positions are fractions of the frame."""

    face_x: float = 0.5  # face centre, of the frame width
    eye_y: float = 0.40  # eye line, of the frame height
    head: float = 0.45  # eye-to-chin distance x 2.6 (about crown to chin), of the frame height
    angle: float = 0.0  # in-plane rotation, degrees (counter-clockwise)
    gain: float = 1.0  # overall brightness
    side_light: float = 0.0  # -1..1: brighter on the image's right (positive) or left
    blur: float = 0.0  # Gaussian sigma in pixels
    eyes_closed: bool = False
    backdrop: tuple[int, int, int] = BLUE  # RGB

    def lerp(self, other: "Pose", k: float) -> "Pose":
        values = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            values[f.name] = a + (b - a) * k if isinstance(a, float) else (a if k < 1 else b)
        return replace(self, **values)


def _landmarks(rgb: np.ndarray) -> np.ndarray:
    from kiosk.photo.mesh import import_mediapipe

    mp = import_mediapipe()

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(rgb)
    if not result.multi_face_landmarks:
        raise ValueError("no face in the subject image")
    h, w = rgb.shape[:2]
    return np.array([(p.x * w, p.y * h) for p in result.multi_face_landmarks[0].landmark], np.float32)


def _person_mask(rgb: np.ndarray) -> np.ndarray:
    from kiosk.photo.mesh import import_mediapipe

    mp = import_mediapipe()

    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        mask = seg.process(rgb).segmentation_mask
    return cv2.GaussianBlur(np.clip((mask - 0.3) / 0.4, 0, 1), (5, 5), 0).astype(np.float32)


def _paint_shut(bgr: np.ndarray, poly: np.ndarray, colour: np.ndarray, seam: np.ndarray) -> np.ndarray:
    """Paints a polygon (an open eye or mouth) over with `colour`, softly, and draws the closed seam line."""
    x, y, w, h = cv2.boundingRect(poly)
    mask = np.zeros(bgr.shape[:2], np.float32)
    cv2.fillPoly(mask, [cv2.convexHull(poly)], 1.0)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, h / 6))[..., None]
    out = (bgr * (1 - mask) + colour * mask).astype(np.uint8)
    cv2.polylines(out, [seam.astype(np.int32)], False, (colour * 0.5).tolist(), max(1, round(h / 8)), cv2.LINE_AA)
    return cv2.GaussianBlur(out, (3, 3), 0) * (mask > 0.05) + out * (mask <= 0.05)


def _ring_seam(poly: np.ndarray) -> np.ndarray:
    """The middle line of a closed ring whose first half is the upper edge and second half the lower edge."""
    n = len(poly) // 2
    upper, lower = poly[:n + 1], np.vstack([poly[n:], poly[:1]])[::-1]
    return (upper + lower) / 2


def _shut_eyes(bgr: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Each eye painted over with the skin of its upper lid, as a closed eye looks."""
    for ring in (RIGHT_EYE_RING, LEFT_EYE_RING):
        poly = pts[list(ring)]
        x, y, w, h = cv2.boundingRect(poly.astype(np.int32))
        lid = bgr[max(0, y - h):y, x:x + w].reshape(-1, 3)
        bgr = _paint_shut(bgr, poly.astype(np.int32), np.median(lid, axis=0), _ring_seam(poly))
    return bgr


def _close_mouth(bgr: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The gap between the lips painted over with the lips' colour (for a smiling photograph)."""
    poly = pts[list(INNER_LIPS)]
    lips = [(pts[o] + pts[i]) / 2 for o, i in ((17, 14), (84, 87), (314, 317), (0, 13))]
    colour = np.median([bgr[int(y), int(x)] for x, y in lips], axis=0).astype(np.float32)
    return _paint_shut(bgr, poly.astype(np.int32), colour, _ring_seam(poly))


class Subject:
    """A person cut out of a photograph, ready to be rendered at any Pose."""

    def __init__(self, image_bgr: np.ndarray, *, close_mouth: bool = False):
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        os.environ.setdefault("MPLBACKEND", "Agg")
        pts = _landmarks(rgb)
        mask = _person_mask(rgb)
        if close_mouth:
            image_bgr = _close_mouth(image_bgr, pts)
        pad = image_bgr.shape[0] * 2  # the body continues below the picture's edge
        self.image = cv2.copyMakeBorder(image_bgr, 0, pad, 0, 0, cv2.BORDER_REPLICATE)
        self.closed = cv2.copyMakeBorder(_shut_eyes(image_bgr, pts), 0, pad, 0, 0, cv2.BORDER_REPLICATE)
        self.mask = cv2.copyMakeBorder(mask, 0, pad, 0, 0, cv2.BORDER_REPLICATE)
        self.eye = (pts[468] + pts[473]) / 2
        self.face_x = float((pts[234, 0] + pts[454, 0]) / 2)
        self.head = float(pts[152, 1] - self.eye[1]) * 2.6

    def render(self, pose: Pose, size: tuple[int, int] = (1280, 960)) -> np.ndarray:
        """A BGR frame of `size` (width, height) with the subject placed as `pose` says."""
        w, h = size
        scale = pose.head * h / self.head
        src = (self.face_x, float(self.eye[1]))
        m = cv2.getRotationMatrix2D(src, pose.angle, scale)
        m[0, 2] += pose.face_x * w - src[0]
        m[1, 2] += pose.eye_y * h - src[1]
        person = cv2.warpAffine(self.closed if pose.eyes_closed else self.image, m, size, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(self.mask, m, size, flags=cv2.INTER_LINEAR)[..., None]
        backdrop = np.float32(pose.backdrop[::-1])
        light = pose.gain * (1 + pose.side_light * np.linspace(-1, 1, w, dtype=np.float32))[None, :, None]
        frame = person.astype(np.float32)  # person * light * alpha + backdrop * (1 - alpha), in place in one
        frame *= light                     # float frame: 15 MB at 1280 x 960, not the 60-70 of one per term
        frame -= backdrop
        frame *= alpha
        frame += backdrop
        frame = np.clip(frame, 0, 255, out=frame).astype(np.uint8)
        if pose.blur > 0:
            frame = cv2.GaussianBlur(frame, (0, 0), pose.blur)
        return frame


class ScriptedCamera:
    """A Camera that plays a script of (time, Pose) keyframes at `fps`, poses interpolated, on the script's clock."""

    def __init__(self, subject: Subject, script: list[tuple[float, Pose]], *, fps: float = 30.0,
                 size: tuple[int, int] = (1280, 960)):
        self.subject, self.script, self.fps, self.size = subject, sorted(script, key=lambda k: k[0]), fps, size
        self._index = 0
        self._rendered: dict[Pose, np.ndarray] = {}  # the last poses rendered: a still subject renders once
        self._open = False

    def open(self) -> None:
        self._open, self._index = True, 0

    @property
    def connected(self) -> bool:
        return self._open

    @property
    def duration(self) -> float:
        return self.script[-1][0]

    def pose_at(self, t: float) -> Pose:
        before = [k for k in self.script if k[0] <= t]
        after = [k for k in self.script if k[0] > t]
        if not before:
            return self.script[0][1]
        if not after:
            return before[-1][1]
        (t0, p0), (t1, p1) = before[-1], after[0]
        return p0.lerp(p1, (t - t0) / (t1 - t0))

    def read(self, timeout: float | None = None) -> Frame | None:
        t = self._index / self.fps
        if not self._open or t > self.duration:
            return None
        pose = self.pose_at(t)
        image = self._rendered.pop(pose, None)
        if image is None:
            image = self.subject.render(pose, self.size)
            if len(self._rendered) >= RENDERED_KEPT:
                del self._rendered[next(iter(self._rendered))]  # the least recently shown
        self._rendered[pose] = image
        frame = Frame(image.copy(), t, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        """Closed between students: the renders kept for a held pose go too (7 MB, bench_ui)."""
        self._open = False
        self._rendered.clear()
