"""Per-frame analysis of a face: MediaPipe FaceMesh landmarks (3-D), then the measures (measures.py), the scene on
the person mask (scene.py), the other faces (counting.py) and the verdicts (rules.py).

One FaceAnalyser uses the models of its Graphs (loaded once: its own, or a terminal's shared by its live and still
analysers, kiosk.photo.session.PhotoModels); analyse() is cheap enough to run on every camera frame. Landmarks
are found on a copy scaled to at most `work_width` pixels wide; a still image whose face is small in that copy is
measured again on a full-resolution square around the face (the iris and lids need the pixels). Sharpness is
measured on the full-size face. Left/right are in image coordinates: the camera faces the student, so the image's
left is the student's right.

Roll: the geometry is measured in an upright frame, the image turned about the eye midpoint by the eye line's
angle (up to max_roll_correct_deg), so the head ratio and centring are those of the turned crop the photo is cut
from (final.cut applies the same turn).

Speed (a third of a 30 fps frame on a 2-core terminal): in tracking mode FaceMesh follows one face, which it does
without running its face detector on every frame; other faces are counted by the same short-range detector every
`count_every` frames (and on every frame while a second face is seen). The person mask is taken on the photo
rectangle at 144x192 (the model works at 256x256), afresh on one frame in `scene_every` (6: 2.5 times a second at
15 fps) while the face stays put, at once when it moves; it is the dearest step (the segmentation call alone is
about 4.7 ms, FaceMesh 3.2), so the frame that takes it is the slowest of the cycle. When another core is idle
(SpareCore), the count runs on a worker thread beside FaceMesh on the same frame; when the machine is busy it runs
after FaceMesh on the calling thread; so does the fresh person mask of a still face (on this frame's pixels and
the last frame's photo rectangle), which takes the slowest frame down to about the dearer of the two calls. The
frames between carry the scene (person mask, backdrop) while the face has not moved, the counting frame always
when it can; sharpness is measured on every frame. The finished photo measures both again on its own pixels
(PhotoMaker.verify), so the capture never relies on a carried value.
"""
from __future__ import annotations

import cv2
import numpy as np

from kiosk.policy import PhotoSpec

from . import measures as m
from .counting import FaceCounter, outside
from .mesh import (CHIN, FOREHEAD, LEFT_CHEEK, LEFT_CHEEK_EDGE, LEFT_EYE, LEFT_IRIS, LOWER_LIP, RIGHT_CHEEK,
                   RIGHT_CHEEK_EDGE, RIGHT_EYE, RIGHT_IRIS, Graphs, SpareCore, landmark_points)
from .problems import problem
from .result import Analysis, blue_mask, crop_box  # noqa: F401 (re-exported)
from .rules import frame_problems, framing_problems, quality_problems, quality_warnings  # noqa: F401 (re-exported)
from .scene import SCENE_SIZE, blue_in_range, measure_scene, region_matrix, warp
from .thresholds import Thresholds

__all__ = ["Analysis", "FaceAnalyser", "SpareCore", "crop_box", "landmark_points", "quality_problems"]
FULL_RES_BELOW = 260  # a still face shorter than this (forehead to chin, work pixels) is measured again at full size


class FaceAnalyser:
    """Owns the face models; analyse(frame) measures one BGR frame and lists its problems (live-guidance view).

    tracking=True (the live camera): FaceMesh follows one face from frame to frame and other faces are counted by
    the face detector every `count_every` frames; tracking=False (a still image): FaceMesh detects up to two faces
    on every call and the full-range detector counts faces on the photo rectangle at full resolution.
    """

    def __init__(self, spec: PhotoSpec, thresholds: Thresholds | None = None, *, tracking: bool = True,
                 work_width: int = 640, count_every: int = 3, parallel_count: bool | None = None,
                 carry_shift: float = 0.02, graphs: Graphs | None = None):
        """parallel_count: None counts faces on a worker thread beside FaceMesh while a core is spare (SpareCore),
        True always does, False never does (the count then follows FaceMesh on the calling thread).
        carry_shift: in tracking, the scene (person mask, backdrop) is measured afresh on one frame in
        `scene_every` and carried to the frames between while the photo rectangle moved by at most this share of
        its height since (0 measures every frame); the frame that counts faces carries it whenever it can.
        graphs: MediaPipe graphs shared with other analysers (their owner closes them), each made when first used;
        without it the analyser makes its own and loads FaceMesh and the segmenter now."""
        self.spec = spec
        self.t = thresholds or Thresholds()
        self.work_width = work_width
        self.tracking = tracking
        self.count_every = max(1, count_every)
        self._owns_graphs = graphs is None
        self.graphs = graphs or Graphs()
        if self._owns_graphs:
            self.preload(detector=False)  # its own models load now (the face detector on first use)
        self.counter = FaceCounter(self.graphs, tracking=tracking, parallel_count=parallel_count)
        self.counts = self.counter.counts  # face counts run after FaceMesh, beside it (on the worker thread)
        self.carry_shift = carry_shift
        self._frame_no = 0
        self.scene_every = 6 if tracking else 1
        self._fresh: tuple | None = None  # (frame number, crop, scene, size) of the last scene measured afresh
        self.scenes_beside = 0  # fresh scenes taken beside FaceMesh (_scene_ahead)
        self._prev: tuple | None = None  # (analysis, work points, scale, work shape) of the last measured frame
        self._frames = 0  # frames since the last face count (tracking)
        self._others = 0  # faces besides the tracked one at the last count (tracking)
        self._work: np.ndarray | None = None  # reused buffers: the scaled frame and its RGB copy
        self._rgb: np.ndarray | None = None

    @property
    def _mesh(self):
        """FaceMesh in this analyser's mode: tracking one face, or a still image with up to two (made on first use)."""
        return self.graphs.face_mesh(static=not self.tracking, max_faces=1 if self.tracking else 2)

    @property
    def _segmenter(self):
        return self.graphs.segmentation()

    def preload(self, detector: bool = True) -> None:
        """Loads the graphs analyse() needs (FaceMesh, the segmenter and, for a live frame, the face counter's
        detector) now, not on the first frame."""
        _ = self._mesh, self._segmenter  # each property makes its graph on first use: now
        if detector:
            self.graphs.detection()

    def forget(self) -> None:
        """A new subject: nothing measured on the last one (carried scene, face count) is used again. The models
        stay loaded (kiosk.photo.session.PhotoModels lends one analyser to each student)."""
        self._fresh, self._frames, self._others = None, 0, 0

    def close(self) -> None:
        self.counter.close()
        if self._owns_graphs:
            self.graphs.close()

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
        pending = self.counter.start(rgb) if count else None
        ahead = self._scene_ahead(work, scale, count)
        try:
            result = self._mesh.process(rgb)
            faces = result.multi_face_landmarks or []
            a = Analysis(width=w, height=h, faces=len(faces))
            if not faces:
                self._frames = 0  # count again as soon as a face is found
                if not self.tracking and len(self.counter.detect(rgb, far=True)) > 1:
                    a.faces = 2  # a group too small for FaceMesh
                    a.problems = [problem("multiple_faces")]
                else:
                    a.problems = [problem("no_face")]
                return a
            ww, wh = work.shape[1], work.shape[0]
            pts = landmark_points(faces[0], ww, wh, depth=True)
            if self.tracking and len(faces) == 1:
                if count:
                    centres = pending.result() if pending is not None else self.counter.detect(rgb)
                    pending = None
                    self._others = outside(centres, pts, ww, wh)
                    self._frames = 0
                else:
                    a.faces_counted = False
                self._frames += 1
                a.faces += self._others
            if a.faces > 1:
                a.problems = [problem("multiple_faces")]
                return a
            if not self.tracking and pts[CHIN, 1] - pts[FOREHEAD, 1] < FULL_RES_BELOW and scale < 1.0:
                pts, work, scale = self._full_resolution(image, pts / scale) or (pts, work, scale)
            self.measure(a, pts, image, work, scale, carry=self._may_carry(count), ahead=ahead)
            if not self.tracking and a.faces == 1 and a.crop is not None:
                self.counter.still(image, rgb, a)
            return a
        finally:
            for job in (pending, ahead and ahead[1]):
                if job is not None:
                    job.result()  # the worker reads `rgb` or `work`, buffers the next frame reuses

    def _full_resolution(self, image: np.ndarray, pts: np.ndarray):
        """(points, work, scale) measured on a square around the face at up to full resolution, expressed as a
        scaled frame: FaceMesh's own face crop (192 px) and iris crops (64 px) then come from real pixels."""
        (x0, y0), (x1, y1) = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
        side = 2.0 * max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        h, w = image.shape[:2]
        bx0, by0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        bx1, by1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        region = image[by0:by1, bx0:bx1]
        s = min(1.0, 640 / max(region.shape[:2]))
        small = cv2.resize(region, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else region
        faces = self._mesh.process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB)).multi_face_landmarks or []
        if len(faces) != 1:
            return None
        local = landmark_points(faces[0], small.shape[1], small.shape[0], depth=True)
        # in the coordinates of the whole frame scaled by s (a virtual work image; only the face region is real)
        local[:, 0] += bx0 * s
        local[:, 1] += by0 * s
        work = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else image
        return local, work, s

    def _scene_ahead(self, work: np.ndarray, scale: float, count: bool):
        """(photo rectangle, Future of its scene) when a still face's fresh scene is due on this frame and a core is
        spare: the person mask is taken on the worker thread beside FaceMesh, on this frame's pixels and the last
        frame's rectangle (kept if the rectangle has moved by at most carry_shift, measured again otherwise)."""
        prev = self._prev
        if not self.tracking or count or prev is None or prev[3] != work.shape or self._fresh is None \
                or self._may_carry(count) or not self.counter.beside():
            return None
        a, pts = prev[0], prev[1]
        return a.crop, self.counter.run(self._scene, a, pts, work, scale)

    def _may_carry(self, count: bool) -> bool:
        """May this frame take the scene from an earlier one? The counting frame whenever the scene is recent;
        the others until it is scene_every - 1 frames old."""
        if not self.tracking or self.carry_shift <= 0 or self._fresh is None:
            return False
        age = self._frame_no - self._fresh[0]
        return age < self.scene_every if count else age < self.scene_every - 1

    def count_faces(self, image: np.ndarray, a: Analysis) -> int:
        """Faces in `image` now: the analysed face plus any other the detector finds (for a tracked analysis)."""
        if a.faces != 1 or a.landmarks is None:
            return a.faces
        _, rgb, scale = self._prepare(image)
        return 1 + outside(self.counter.detect(rgb), a.landmarks * scale, rgb.shape[1], rgb.shape[0])

    def measure(self, a: Analysis, pts: np.ndarray, image: np.ndarray, work: np.ndarray | None = None,
                scale: float = 1.0, carry: bool = False, ahead=None) -> Analysis:
        """Every measurement, problem and warning of one face whose landmarks (`work` pixels, N x 2 or N x 3) are
        known.

        `work` is `image` scaled by `scale` (the copy FaceMesh saw); without it, `image` itself at scale 1.
        carry (a tracked frame, see _may_carry): the scene is taken from the frame it was last measured on if the
        photo rectangle has barely moved since; sharpness is measured on every frame. A tracked frame that cannot be
        photographed for its framing (too far, off centre: the guidance names that first) carries the last scene
        whatever its age: the person mask is not taken while the student is still moving into place.
        ahead: (rectangle, Future) of a scene taken beside FaceMesh (_scene_ahead), used if the rectangle held.
        """
        if work is None:
            work, scale = image, 1.0
        self._pose(a, pts, work)
        self._geometry(a, pts, work, scale)
        self._light(a, pts, work)
        self._sharpness(a, image)
        last, held = self._fresh, self.carry_shift * (a.crop[3] - a.crop[1])
        if last is not None and last[3] == (a.width, a.height) and (
                self.tracking and self.carry_shift > 0 and framing_problems(a, self.t) or carry
                and max(abs(u - v) for u, v in zip(a.crop, last[1])) <= held):
            a.carried = True
            self._apply_scene(a, last[2])
        else:
            scene = ahead[1].result() if ahead is not None else None
            if scene is None or max(abs(u - v) for u, v in zip(a.crop, ahead[0])) > held:
                scene = self._scene(a, pts, work, scale)
            else:
                self.scenes_beside += 1
            self._apply_scene(a, scene)
            self._fresh = (self._frame_no, a.crop, scene, (a.width, a.height))
        if self.tracking:
            self._prev = (a, pts, scale, work.shape)
        a.landmarks = pts[:, :2] / scale
        a.depth = pts[:, 2] / scale if pts.shape[1] == 3 else None
        a.problems = frame_problems(a, self.t)
        a.warnings = quality_warnings(a, self.t)
        return a

    # --- measurements (work-image coordinates in, frame coordinates stored) ---
    def _pose(self, a: Analysis, pts: np.ndarray, work: np.ndarray) -> None:
        if pts.shape[1] == 3:
            a.yaw, a.pitch, a.roll_deg = m.head_pose(pts)
        else:  # 2-D points only: roll from the eye line, pose unknown
            a.roll_deg = m.eye_roll(pts)
        a.eyes = m.eye_openness(pts)
        a.eye_open = min(a.eyes)
        a.gaze = m.gaze(pts)
        a.lip_gap, a.teeth = m.mouth(work, pts)
        a.fringe_any, a.fringe = m.fringe_contrast(work, pts)
        a.glare = m.eye_glare(work, pts)

    def _geometry(self, a: Analysis, pts: np.ndarray, work: np.ndarray, scale: float) -> None:
        t = self.t
        roll = float(np.clip(a.roll_deg, -t.max_roll_correct_deg, t.max_roll_correct_deg))
        pivot = (pts[RIGHT_IRIS, :2] + pts[LEFT_IRIS, :2]) / 2
        rot_work = m.upright_matrix(pivot, roll)
        up = m.transform(pts, rot_work)
        eye_y = float((up[RIGHT_IRIS, 1] + up[LEFT_IRIS, 1]) / 2)
        chin_y = float(up[CHIN, 1])
        center_x = float((up[RIGHT_CHEEK_EDGE, 0] + up[LEFT_CHEEK_EDGE, 0]) / 2)
        face_w = float(abs(up[LEFT_CHEEK_EDGE, 0] - up[RIGHT_CHEEK_EDGE, 0]))
        crown_y, from_backdrop = self._crown(work, rot_work, up, eye_y, chin_y, center_x, face_w)
        a.rotation = m.upright_matrix(pivot / scale, roll)
        a.eye_y, a.chin_y, a.center_x = eye_y / scale, chin_y / scale, center_x / scale
        a.crown_y, a.crown_from_backdrop = crown_y / scale, from_backdrop
        a.head_ratio = a.head_px / a.height
        a.center_offset = (a.center_x - a.width / 2) / a.width
        a.crop = crop_box(a.crown_y, a.chin_y, a.center_x, self.spec, t.top_margin)

    def _crown(self, work, rot, up, eye_y, chin_y, center_x, face_w) -> tuple[float, bool]:
        """Scans down the head's column band (upright) for the first row that is not backdrop blue (hair)."""
        t = self.t
        estimate = eye_y - t.crown_ratio * (chin_y - eye_y)
        top = int(max(0, eye_y - 2.5 * (chin_y - eye_y)))
        bottom = int(max(top + 1, up[FOREHEAD, 1]))
        x0, x1 = int(max(0, center_x - face_w / 4)), int(min(work.shape[1], center_x + face_w / 4))
        if x1 <= x0 or bottom <= top:
            return estimate, False
        band_rot = rot.copy()
        band_rot[:, 2] -= (x0, top)
        band = cv2.warpAffine(work, band_rot, (x1 - x0, bottom - top), flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_REPLICATE)
        band = blue_in_range(cv2.cvtColor(band, cv2.COLOR_BGR2HSV), t)
        non_blue = 1.0 - cv2.reduce(band, 1, cv2.REDUCE_AVG, dtype=cv2.CV_64F)[:, 0] / 255.0
        rows = np.flatnonzero(non_blue >= t.crown_min_non_blue)
        if not len(rows) or rows[0] == 0:  # no backdrop above the head (or it is not blue): estimate
            return estimate, False
        return float(top + rows[0]), True

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
        cx, ey = _frame_point(a, a.center_x, a.eye_y)
        x0, x1 = int(max(0, cx - eye_chin)), int(min(a.width, cx + eye_chin))
        y0, y1 = int(max(0, ey - 0.5 * eye_chin)), int(min(a.height, ey + eye_chin))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        face = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        face = cv2.resize(face, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32)
        mean, std = cv2.meanStdDev(face)
        face = (face - np.float32(mean[0, 0])) * np.float32(50.0 / max(1.0, float(std[0, 0])))  # dim is not blur
        a.sharpness = float(cv2.meanStdDev(cv2.Laplacian(face, cv2.CV_32F))[1][0, 0]) ** 2  # variance

    def _scene(self, a: Analysis, pts: np.ndarray, work: np.ndarray, scale: float) -> dict:
        """The person mask and what it tells, on the photo rectangle (turned upright) at SCENE_SIZE."""
        rot = a.rotation.copy()
        rot[:, 2] *= scale  # the same turn in work pixels
        crop = tuple(v * scale for v in a.crop)
        aff = region_matrix(rot, crop, SCENE_SIZE)
        small = warp(work, aff, SCENE_SIZE)
        person = self._segmenter.process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB)).segmentation_mask
        p = m.transform(pts, aff)
        face = {"centre": ((p[RIGHT_CHEEK_EDGE] + p[LEFT_CHEEK_EDGE]) / 2).tolist(),
                "eye_y": float((p[RIGHT_IRIS, 1] + p[LEFT_IRIS, 1]) / 2), "forehead_y": float(p[FOREHEAD, 1]),
                "chin_y": float(p[CHIN, 1]),
                "half_width": float(abs(p[LEFT_CHEEK_EDGE, 0] - p[RIGHT_CHEEK_EDGE, 0]) / 2)}
        return measure_scene(small, person, face, self.t)

    @staticmethod
    def _apply_scene(a: Analysis, scene: dict) -> None:
        a.background = dict(scene["background"])
        a.others, a.clutter = scene["others"], scene["clutter"]
        a.top_ratio, a.head_colour = scene["top_ratio"], max(scene["head_colour"], scene["head_white"])


def _frame_point(a: Analysis, x: float, y: float) -> tuple[float, float]:
    """An upright point back in frame pixels."""
    if a.rotation is None:
        return x, y
    p = m.transform(np.float32([[x, y]]), cv2.invertAffineTransform(a.rotation))[0]
    return float(p[0]), float(p[1])

