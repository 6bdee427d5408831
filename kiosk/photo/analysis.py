"""Per-frame analysis of a face: MediaPipe FaceMesh landmarks, then geometry and image-quality measurements.

One FaceAnalyser owns the model (loaded once); analyse() is cheap enough to run on every camera frame. Landmarks
are found on a copy scaled to at most `work_width` pixels wide; sharpness is measured on the full-size face.
Left/right are in image coordinates: the camera faces the student, so the image's left is the student's right.

Speed (a third of a 30 fps frame on a 2-core terminal): in tracking mode FaceMesh follows one face, which it does
without running its face detector on every frame; other faces are counted by the same short-range detector every
`count_every` frames (and on every frame while a second face is seen). A FaceMesh asked for two faces runs that
detector on every frame whenever it tracks fewer than two, which cost about 2 ms a frame. Colour conversions
are done on the regions that are measured (face, crown band, backdrop strips), not on the whole frame.

The detector costs about 2 ms whatever its input size (it works on 128x128), so a frame that also counts is that
much slower. When another core is idle (SpareCore: no other work on the machine), the count runs on a worker
thread beside FaceMesh on the same frame (both release the GIL), so the counting frame costs about what any other
frame costs; when the machine is busy it runs after FaceMesh on the calling thread, as two threads fighting for
one core would slow FaceMesh itself. Either way the count is of this frame and the result is the same. The
counting frame also takes sharpness and the backdrop strips (about 0.3 ms at 640 px, 0.5 ms at 1080p) from the
frame just before it when the face has not moved (never two frames in a row); the finished photo measures both
again on its own pixels (PhotoMaker.verify), so the capture never relies on a carried value.
"""
from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.policy import PhotoSpec

from .problems import Problem, problem
from .thresholds import Thresholds

# FaceMesh landmark indices
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # image-left eye: outer, upper x2, inner, lower x2
LEFT_EYE = (362, 385, 387, 263, 373, 380)
RIGHT_IRIS, LEFT_IRIS = 468, 473
UPPER_LIP, LOWER_LIP = 13, 14
CHIN, FOREHEAD, NOSE_TIP = 152, 10, 1
RIGHT_CHEEK_EDGE, LEFT_CHEEK_EDGE = 234, 454
RIGHT_CHEEK, LEFT_CHEEK = 205, 425
MIN_DETECTION = 0.5  # face detector score, FaceMesh's and the face counter's


@dataclass
class Analysis:
    width: int
    height: int
    faces: int
    landmarks: np.ndarray | None = None  # 478 x 2, full-frame pixels
    crown_y: float = 0.0
    chin_y: float = 0.0
    eye_y: float = 0.0
    center_x: float = 0.0
    crown_from_backdrop: bool = False
    head_ratio: float = 0.0  # head height / frame height
    center_offset: float = 0.0  # (face centre - frame centre) / frame width; negative: face on the image's left
    crop: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 of the 3:4 photo in frame pixels
    roll_deg: float = 0.0
    turn: float = 0.0
    pitch: float = 0.0
    eye_open: float = 0.0  # the smaller eye aspect ratio
    lip_gap: float = 0.0
    face_luma: float = 0.0
    clipped: float = 0.0
    cheek_ratio: float = 1.0
    saturation: float = 0.0
    sharpness: float = 0.0
    background: dict = field(default_factory=dict)  # blue (share), std (V), rgb (mean)
    problems: list[Problem] = field(default_factory=list)
    faces_counted: bool = True  # False: `faces` carries a count made on a recent frame (tracking), not this one
    carried: bool = False  # sharpness and background come from the frame just before (a counting frame)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head_px(self) -> float:
        return self.chin_y - self.crown_y

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


def _load_face_mesh(static: bool, max_faces: int):
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("GLOG_minloglevel", "2")
    import mediapipe as mp  # the models ship inside the 0.10.21 wheel: no download

    return mp.solutions.face_mesh.FaceMesh(static_image_mode=static, max_num_faces=max_faces, refine_landmarks=True,
                                           min_detection_confidence=MIN_DETECTION, min_tracking_confidence=0.5)


def _load_face_detection():
    """The short-range face detector FaceMesh itself runs (same model, same threshold), to count faces."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("GLOG_minloglevel", "2")
    import mediapipe as mp

    return mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=MIN_DETECTION)


# A NormalizedLandmark as FaceMesh serialises it: field tags and a length byte around three little-endian floats.
_LANDMARK_RECORD = np.dtype([("tag", "u1"), ("size", "u1"), ("tx", "u1"), ("x", "<f4"), ("ty", "u1"), ("y", "<f4"),
                             ("tz", "u1"), ("z", "<f4")])


class SpareCore:
    """Is a core left idle by all other work? Over windows of at least `window` seconds: the machine's busy CPU
    time (/proc/stat) less this process's own (FaceMesh and the detector run on MediaPipe's threads, so the whole
    process is "own"), and the machine's idle time.

    Spare: other processes kept at most `max_others` of a core busy, besides the core the analysis itself needs,
    and at least `min_idle` of a core was idle. The answer is re-taken once a window has passed (reading
    /proc/stat costs about 0.03 ms); before the first window, and where /proc/stat cannot be read or there is a
    single core, the answer is no.
    """

    def __init__(self, window: float = 0.1, max_others: float = 0.5, min_idle: float = 0.5,
                 path: str = "/proc/stat"):
        self.window, self.max_others, self.min_idle, self.path = window, max_others, min_idle, path
        self.cpus = os.cpu_count() or 1
        self.tick = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
        self.spare = False
        self.others = self.idle = 0.0  # cores, over the last window
        self._ref = self._sample()

    def _sample(self) -> tuple[float, float, float, float] | None:
        """(monotonic time, machine busy CPU seconds, machine idle CPU seconds, own CPU seconds), None if unknown."""
        if self.cpus < 2:
            return None
        try:
            with open(self.path, "rb") as f:
                fields = [int(v) for v in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        if len(fields) < 5:
            return None
        idle = fields[3] + fields[4]  # idle and iowait
        return time.monotonic(), (sum(fields) - idle) * self.tick, idle * self.tick, time.process_time()

    def __call__(self) -> bool:
        if self._ref is None or time.monotonic() - self._ref[0] < self.window:
            return self.spare
        now = self._sample()
        if now is None:
            self.spare = False
            return False
        span = now[0] - self._ref[0]
        self.others = max(0.0, (now[1] - self._ref[1]) - (now[3] - self._ref[3])) / span
        self.idle = (now[2] - self._ref[2]) / span
        self._ref = now
        self.spare = self.others <= self.cpus - 2 + self.max_others and self.idle >= self.min_idle
        return self.spare


def landmark_points(landmarks, width: float, height: float) -> np.ndarray:
    """N x 2 float32 pixel coordinates of a NormalizedLandmarkList.

    Decodes the serialised message with one numpy view (about 0.02 ms for 478 points, against 0.25-0.5 ms for
    reading the fields one by one in Python); any message that is not the plain x, y, z layout is read field by
    field instead.
    """
    raw = landmarks.SerializeToString()
    if len(raw) % _LANDMARK_RECORD.itemsize == 0:
        rec = np.frombuffer(raw, _LANDMARK_RECORD)
        if len(rec) == len(landmarks.landmark) and (rec["tag"] == 0x0A).all() and (rec["size"] == 15).all() \
                and (rec["tx"] == 0x0D).all() and (rec["ty"] == 0x15).all() and (rec["tz"] == 0x1D).all():
            pts = np.empty((len(rec), 2), np.float32)
            pts[:, 0] = rec["x"].astype(np.float64) * width  # in float64 as the Python path, stored as float32
            pts[:, 1] = rec["y"].astype(np.float64) * height
            return pts
    return np.array([(p.x * width, p.y * height) for p in landmarks.landmark], np.float32)


def crop_box(crown_y: float, chin_y: float, center_x: float, spec: PhotoSpec, top_margin: float):
    """The 3:4 (spec aspect) photo rectangle: head (crown..chin) = spec.head_ratio of the height, centred."""
    height = (chin_y - crown_y) / spec.head_ratio
    width = height * spec.width / spec.height
    y0 = crown_y - top_margin * height
    x0 = center_x - width / 2
    return x0, y0, x0 + width, y0 + height


def _blue_in_range(hsv: np.ndarray, t: Thresholds) -> np.ndarray:
    """uint8 mask, 255 where the HSV pixel is backdrop blue."""
    return cv2.inRange(hsv, (t.blue_hue[0], t.blue_min_s, t.blue_min_v), (t.blue_hue[1], 255, 255))


def blue_mask(hsv: np.ndarray, t: Thresholds) -> np.ndarray:
    return _blue_in_range(hsv, t) > 0


def eye_aspect(points: np.ndarray, idx: tuple[int, ...]) -> float:
    p = points[list(idx)]
    horizontal = np.linalg.norm(p[0] - p[3])
    vertical = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(vertical / (2 * horizontal)) if horizontal else 0.0


class FaceAnalyser:
    """Owns the face model; analyse(frame) measures one BGR frame and lists its problems (live-guidance view).

    tracking=True (the live camera): FaceMesh follows one face from frame to frame and other faces are counted by
    the face detector every `count_every` frames; tracking=False (a still image): FaceMesh detects up to two faces
    on every call.
    """

    def __init__(self, spec: PhotoSpec, thresholds: Thresholds | None = None, *, tracking: bool = True,
                 work_width: int = 640, count_every: int = 3, parallel_count: bool | None = None,
                 carry_shift: float = 0.02):
        """parallel_count: None counts faces on a worker thread beside FaceMesh while a core is spare (SpareCore),
        True always does, False never does (the count then follows FaceMesh on the calling thread).
        carry_shift: a frame that counts faces takes sharpness and the backdrop from the frame just before it when
        the photo rectangle moved by at most this share of its height since (0 measures every frame)."""
        self.spec = spec
        self.t = thresholds or Thresholds()
        self.work_width = work_width
        self.tracking = tracking
        self.count_every = max(1, count_every)
        self._mesh = _load_face_mesh(static=not tracking, max_faces=1 if tracking else 2)
        self._detector = None  # loaded on first use
        self._detector_lock = threading.Lock()
        self.parallel_count = parallel_count
        self._spare = SpareCore() if tracking and parallel_count is None else None
        self._pool: ThreadPoolExecutor | None = None  # the counting thread, started on first use
        self.counts = [0, 0]  # face counts run after FaceMesh, beside it (on the worker thread)
        self.carry_shift = carry_shift
        self._frame_no = 0
        self._fresh: tuple | None = None  # (frame number, crop, sharpness, background, size) last measured afresh
        self._frames = 0  # frames since the last face count (tracking)
        self._others = 0  # faces besides the tracked one at the last count (tracking)
        self._work: np.ndarray | None = None  # reused buffers: the scaled frame and its RGB copy
        self._rgb: np.ndarray | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._mesh.close()
        if self._detector is not None:
            self._detector.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """(work BGR, work RGB, scale): the frame scaled to at most work_width, into reused buffers."""
        h, w = image.shape[:2]
        scale = min(1.0, self.work_width / w)
        if scale < 1.0:
            size = (round(w * scale), round(h * scale))
            if self._work is None or self._work.shape[:2] != (size[1], size[0]):
                self._work = np.empty((size[1], size[0], 3), np.uint8)
            work = cv2.resize(image, size, dst=self._work, interpolation=cv2.INTER_LINEAR)
        else:
            work = image
        if self._rgb is None or self._rgb.shape != work.shape:
            self._rgb = np.empty(work.shape, np.uint8)
        rgb = cv2.cvtColor(work, cv2.COLOR_BGR2RGB, dst=self._rgb)
        return work, rgb, scale

    def analyse(self, image: np.ndarray) -> Analysis:
        self._frame_no += 1
        h, w = image.shape[:2]
        work, rgb, scale = self._prepare(image)
        count = self.tracking and (self._frames % self.count_every == 0 or self._others > 0)
        pending = None
        if count:
            beside = self._count_beside()
            self.counts[beside] += 1
            if beside:
                pending = self._pool_submit(rgb)
        try:
            result = self._mesh.process(rgb)
            faces = result.multi_face_landmarks or []
            a = Analysis(width=w, height=h, faces=len(faces))
            if not faces:
                self._frames = 0  # count again as soon as a face is found
                a.problems = [problem("no_face")]
                return a
            ww, wh = work.shape[1], work.shape[0]
            if len(faces) == 1:
                pts = landmark_points(faces[0], ww, wh)
                if self.tracking:
                    if count:
                        centres = pending.result() if pending is not None else self._detect(rgb)
                        pending = None
                        self._others = _outside(centres, pts, ww, wh)
                        self._frames = 0
                    else:
                        a.faces_counted = False
                    self._frames += 1
                    a.faces += self._others
            if a.faces > 1:
                a.problems = [problem("multiple_faces")]
                return a
            self.measure(a, pts, image, work, scale, carry=count and self.carry_shift > 0)
            return a
        finally:
            if pending is not None:
                pending.result()  # the worker reads `rgb`, a buffer the next frame reuses

    def _count_beside(self) -> bool:
        """Run this frame's face count on the worker thread, beside FaceMesh?"""
        if self.parallel_count is not None:
            return self.parallel_count
        return self._spare()

    def _pool_submit(self, rgb: np.ndarray):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="face-count")
        return self._pool.submit(self._detect, rgb)

    def _detect(self, rgb: np.ndarray) -> list[tuple[float, float]]:
        """Centres (relative to the image) of the faces the short-range detector finds."""
        with self._detector_lock:
            if self._detector is None:
                self._detector = _load_face_detection()
            detections = self._detector.process(rgb).detections or []
        centres = []
        for d in detections:
            box = d.location_data.relative_bounding_box
            centres.append((box.xmin + box.width / 2, box.ymin + box.height / 2))
        return centres

    def count_faces(self, image: np.ndarray, a: Analysis) -> int:
        """Faces in `image` now: the analysed face plus any other the detector finds (for a tracked analysis)."""
        if a.faces != 1 or a.landmarks is None:
            return a.faces
        _, rgb, scale = self._prepare(image)
        return 1 + self._other_faces(rgb, a.landmarks * scale)

    def _other_faces(self, rgb: np.ndarray, pts: np.ndarray) -> int:
        """Detections whose centre lies outside the tracked face's landmarks: other people in the frame."""
        return _outside(self._detect(rgb), pts, rgb.shape[1], rgb.shape[0])

    def measure(self, a: Analysis, pts: np.ndarray, image: np.ndarray, work: np.ndarray | None = None,
                scale: float = 1.0, carry: bool = False) -> Analysis:
        """Every measurement and problem of one face whose landmarks (`work` pixels) are known.

        `work` is `image` scaled by `scale` (the copy FaceMesh saw); without it, `image` itself at scale 1.
        carry (the live frame that counts faces): sharpness and the backdrop are taken from the frame just before,
        if it measured them afresh and the photo rectangle has barely moved since; never two frames in a row.
        """
        if work is None:
            work, scale = image, 1.0
        self._geometry(a, pts, work, scale)
        self._pose(a, pts)
        self._light(a, pts, work)
        last = self._fresh
        if carry and last is not None and last[0] == self._frame_no - 1 and last[4] == (a.width, a.height) \
                and max(abs(u - v) for u, v in zip(a.crop, last[1])) <= self.carry_shift * (a.crop[3] - a.crop[1]):
            a.sharpness, a.background, a.carried = last[2], dict(last[3]), True
        else:
            self._sharpness(a, image)
            self._background(a, work, scale)
            self._fresh = (self._frame_no, a.crop, a.sharpness, a.background, (a.width, a.height))
        a.landmarks = pts / scale
        a.problems = frame_problems(a, self.t)
        return a

    # --- measurements (work-image coordinates in, frame coordinates stored) ---
    def _geometry(self, a: Analysis, pts: np.ndarray, work: np.ndarray, scale: float) -> None:
        t = self.t
        eye_y = float((pts[RIGHT_IRIS, 1] + pts[LEFT_IRIS, 1]) / 2)
        chin_y = float(pts[CHIN, 1])
        center_x = float((pts[RIGHT_CHEEK_EDGE, 0] + pts[LEFT_CHEEK_EDGE, 0]) / 2)
        face_w = float(abs(pts[LEFT_CHEEK_EDGE, 0] - pts[RIGHT_CHEEK_EDGE, 0]))
        crown_y, from_backdrop = self._crown(work, pts, eye_y, chin_y, center_x, face_w)
        a.eye_y, a.chin_y, a.center_x = eye_y / scale, chin_y / scale, center_x / scale
        a.crown_y, a.crown_from_backdrop = crown_y / scale, from_backdrop
        a.head_ratio = a.head_px / a.height
        a.center_offset = (a.center_x - a.width / 2) / a.width
        a.crop = crop_box(a.crown_y, a.chin_y, a.center_x, self.spec, t.top_margin)

    def _crown(self, work, pts, eye_y, chin_y, center_x, face_w) -> tuple[float, bool]:
        """Scans down the head's column band for the first row that is not backdrop blue (hair).

        """
        t = self.t
        estimate = eye_y - t.crown_ratio * (chin_y - eye_y)
        top = int(max(0, eye_y - 2.5 * (chin_y - eye_y)))
        bottom = int(max(top + 1, pts[FOREHEAD, 1]))
        x0, x1 = int(max(0, center_x - face_w / 4)), int(min(work.shape[1], center_x + face_w / 4))
        if x1 <= x0 or bottom <= top:
            return estimate, False
        band = _blue_in_range(cv2.cvtColor(work[top:bottom, x0:x1], cv2.COLOR_BGR2HSV), t)
        non_blue = 1.0 - cv2.reduce(band, 1, cv2.REDUCE_AVG, dtype=cv2.CV_64F)[:, 0] / 255.0
        rows = np.flatnonzero(non_blue >= t.crown_min_non_blue)
        if not len(rows) or rows[0] == 0:  # no backdrop above the head (or it is not blue): estimate
            return estimate, False
        return float(top + rows[0]), True

    def _pose(self, a: Analysis, pts: np.ndarray) -> None:
        r_eye, l_eye = pts[RIGHT_IRIS], pts[LEFT_IRIS]
        a.roll_deg = math.degrees(math.atan2(l_eye[1] - r_eye[1], l_eye[0] - r_eye[0]))
        face_w = float(np.linalg.norm(pts[LEFT_CHEEK_EDGE] - pts[RIGHT_CHEEK_EDGE])) or 1.0
        mid = (pts[LEFT_CHEEK_EDGE] + pts[RIGHT_CHEEK_EDGE]) / 2
        a.turn = float((pts[NOSE_TIP, 0] - mid[0]) / face_w)
        eye_y = (r_eye[1] + l_eye[1]) / 2
        eye_chin = float(pts[CHIN, 1] - eye_y) or 1.0
        a.pitch = float((pts[NOSE_TIP, 1] - eye_y) / eye_chin)
        a.eye_open = min(eye_aspect(pts, RIGHT_EYE), eye_aspect(pts, LEFT_EYE))
        a.lip_gap = float((pts[LOWER_LIP, 1] - pts[UPPER_LIP, 1]) / eye_chin)

    def _light(self, a: Analysis, pts: np.ndarray, work: np.ndarray) -> None:
        x0, x1 = int(pts[RIGHT_CHEEK_EDGE, 0]), int(pts[LEFT_CHEEK_EDGE, 0])
        y0, y1 = int(min(pts[RIGHT_EYE[1], 1], pts[LEFT_EYE[1], 1])), int(pts[LOWER_LIP, 1])
        x0, y0 = max(0, x0), max(0, y0)
        face = work[y0:y1, x0:x1]
        if face.size == 0:
            return
        gray = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
        a.face_luma = cv2.mean(gray)[0]
        a.clipped = cv2.countNonZero(cv2.threshold(gray, 246, 255, cv2.THRESH_BINARY)[1]) / gray.size
        a.saturation = cv2.mean(cv2.cvtColor(face, cv2.COLOR_BGR2HSV))[1]
        r = max(2, int((x1 - x0) * 0.08))

        def patch(i: int) -> float:  # mean HSV value (the brightest channel) around a landmark
            cx, cy = int(pts[i, 0]), int(pts[i, 1])
            region = work[max(0, cy - r):cy + r, max(0, cx - r):cx + r]
            return float(region.max(axis=2).mean()) if region.size else 0.0

        left, right = patch(LEFT_CHEEK), patch(RIGHT_CHEEK)
        a.cheek_ratio = left / right if right else 0.0

    def _sharpness(self, a: Analysis, image: np.ndarray) -> None:
        if a.crop is None:
            return
        eye_chin = a.chin_y - a.eye_y
        x0, x1 = int(max(0, a.center_x - eye_chin)), int(min(a.width, a.center_x + eye_chin))
        y0, y1 = int(max(0, a.eye_y - 0.5 * eye_chin)), int(min(a.height, a.chin_y))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        face = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        face = cv2.resize(face, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32)
        mean, std = cv2.meanStdDev(face)
        face = (face - np.float32(mean[0, 0])) * np.float32(50.0 / max(1.0, float(std[0, 0])))  # dim is not blur
        a.sharpness = float(cv2.meanStdDev(cv2.Laplacian(face, cv2.CV_32F))[1][0, 0]) ** 2  # variance

    def _background(self, a: Analysis, work: np.ndarray, scale: float) -> None:
        """Backdrop colour and uniformity on the photo's top strip and side strips (above the eyes)."""
        x0, y0, x1, y1 = (v * scale for v in a.crop)
        side = (x1 - x0) * 0.06
        strip_h = (y1 - y0) * 0.06
        eye = a.eye_y * scale
        regions = [(x0, y0, x1, y0 + strip_h), (x0, y0, x0 + side, eye), (x1 - side, y0, x1, eye)]
        h, w = work.shape[:2]
        pixels = []
        for rx0, ry0, rx1, ry1 in regions:
            rx0, ry0 = int(max(0, rx0)), int(max(0, ry0))
            rx1, ry1 = int(min(w, rx1)), int(min(h, ry1))
            if rx1 > rx0 and ry1 > ry0:
                pixels.append(cv2.cvtColor(work[ry0:ry1, rx0:rx1], cv2.COLOR_BGR2HSV).reshape(-1, 1, 3))
        if not pixels:
            a.background = {"blue": 0.0, "std": 0.0, "rgb": [0, 0, 0]}
            return
        px = np.concatenate(pixels) if len(pixels) > 1 else pixels[0]  # N x 1 HSV "image"
        mean, std = cv2.meanStdDev(px)
        mean_bgr = cv2.cvtColor(mean.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
        a.background = {
            "blue": round(cv2.countNonZero(_blue_in_range(px, self.t)) / len(px), 3),
            "std": round(float(std[2, 0]), 2),
            "rgb": [int(mean_bgr[2]), int(mean_bgr[1]), int(mean_bgr[0])],
        }


def _outside(centres: list[tuple[float, float]], pts: np.ndarray, w: int, h: int) -> int:
    """How many detection centres (relative) lie outside the tracked face's landmark box (`pts`, pixels)."""
    (fx0, fy0), (fx1, fy1) = pts.min(axis=0), pts.max(axis=0)
    return sum(1 for cx, cy in centres if not (fx0 <= cx * w <= fx1 and fy0 <= cy * h <= fy1))


def quality_problems(a: Analysis, t: Thresholds) -> list[Problem]:
    """Pose, expression, light, sharpness, colour and background: the same for a frame and a finished photo."""
    out = []
    if abs(a.turn) > t.max_turn:
        out.append(problem("turned"))
    if abs(a.roll_deg) > t.max_roll_deg:
        out.append(problem("tilted"))
    if a.pitch > t.pitch_range[1]:
        out.append(problem("head_down"))
    elif a.pitch < t.pitch_range[0]:
        out.append(problem("head_up"))
    if a.eye_open < t.min_eye_open:
        out.append(problem("eyes_closed"))
    if a.lip_gap > t.max_lip_gap:
        out.append(problem("mouth_open"))
    if not a.background or a.background["blue"] < t.min_blue or a.background["std"] > t.max_background_std:
        out.append(problem("background"))
    if a.face_luma < t.face_luma[0]:
        out.append(problem("too_dark"))
    elif a.face_luma > t.face_luma[1] or a.clipped > t.max_clipped:
        out.append(problem("too_bright"))
    if not t.cheek_ratio[0] <= a.cheek_ratio <= t.cheek_ratio[1]:
        out.append(problem("uneven_light"))
    if a.sharpness < t.min_sharpness:
        out.append(problem("blurry"))
    if a.saturation < t.min_saturation:
        out.append(problem("not_color"))
    return out


def frame_problems(a: Analysis, t: Thresholds) -> list[Problem]:
    """Problems of a camera frame: can a compliant photo be cut from it? Framing first, then quality."""
    out = []
    x0, y0, x1, y1 = a.crop
    if y1 - y0 > a.height or x1 - x0 > a.width:
        out.append(problem("too_close"))
    elif a.head_px < t.min_head_px:
        out.append(problem("too_far"))
    if "too_close" not in {p.code for p in out}:
        if y0 < 0 or not a.crown_from_backdrop and a.crown_y <= 0:
            out.append(problem("too_high"))
        elif y1 > a.height:
            out.append(problem("too_low"))
        if x0 < 0 or a.center_offset < -t.frame_center_offset:
            out.append(problem("move_left"))
        elif x1 > a.width or a.center_offset > t.frame_center_offset:
            out.append(problem("move_right"))
    return out + quality_problems(a, t)
