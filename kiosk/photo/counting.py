"""Faces besides the candidate's: MediaPipe's face detectors (short range for the live frame, full range for a
still image's photo rectangle and frame), run on the calling thread or on one worker thread beside FaceMesh.

FaceAnalyser owns one FaceCounter; the detectors are the analyser's Graphs (shared with the terminal's other
analyser). In tracking, FaceMesh follows one face and the counter finds the others every few frames; whether it runs
beside FaceMesh is SpareCore's call (another core idle) unless fixed by the caller.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np

from . import measures as m
from .mesh import Graphs, SpareCore
from .problems import problem, warning
from .result import Analysis
from .scene import warp


class FaceCounter:
    def __init__(self, graphs: Graphs, *, tracking: bool, parallel_count: bool | None):
        """parallel_count: None counts beside FaceMesh while a core is spare, True always, False never."""
        self.parallel_count = parallel_count
        self._spare = SpareCore() if tracking and parallel_count is None else None
        self.graphs = graphs  # the short-range detector and the full-range one (a still image's photo rectangle)
        self._pool: ThreadPoolExecutor | None = None  # the counting thread, started on first use
        self.counts = [0, 0]  # face counts run after FaceMesh, beside it (on the worker thread)

    def close(self) -> None:
        """Ends the worker thread (the detectors are the Graphs' owner's to close)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def start(self, rgb: np.ndarray) -> Future | None:
        """This frame's count begins: on the worker thread (returned) or later on the caller's (None)."""
        beside = self.beside()
        self.counts[beside] += 1
        return self.run(self.detect, rgb) if beside else None

    def beside(self) -> bool:
        """May work run on the worker thread beside FaceMesh now (a core is spare, or the caller said so)?"""
        return self.parallel_count if self.parallel_count is not None else self._spare()

    def run(self, fn, *args) -> Future:
        """fn(*args) on the worker thread (one at a time: the face count, or the analyser's person mask)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="face-count")
        return self._pool.submit(fn, *args)

    def detect(self, rgb: np.ndarray, far: bool = False) -> list[tuple[float, float]]:
        """Centres (relative to the image) of the faces the short-range (or full-range) detector finds."""
        detections = self.graphs.detection(full_range=far).process(rgb).detections or []
        centres = []
        for d in detections:
            box = d.location_data.relative_bounding_box
            centres.append((box.xmin + box.width / 2, box.ymin + box.height / 2))
        return centres

    def still(self, image: np.ndarray, rgb: np.ndarray, a: Analysis) -> None:
        """Other faces of a still image: inside the photo rectangle they refuse it (multiple_faces); elsewhere in
        the frame (a small head far behind, a helper at the side) they are named to the operator."""
        extra = self.in_photo(image, a)
        if extra:
            a.faces += extra
            a.problems = [problem("multiple_faces")]
            a.warnings = []
        elif outside(self.detect(rgb, far=True), a.landmarks * (rgb.shape[1] / a.width), rgb.shape[1],
                     rgb.shape[0]):
            a.warnings.append(warning("bystander"))

    def in_photo(self, image: np.ndarray, a: Analysis) -> int:
        """Faces other than the candidate's inside the photo rectangle, counted at full resolution (both
        detectors: a second head beside the shoulder, a small face behind)."""
        size = (384, 512)
        aff = a.photo_matrix(size)
        photo = cv2.cvtColor(warp(image, aff, size), cv2.COLOR_BGR2RGB)
        own = m.transform(a.landmarks, aff)
        return max(outside(self.detect(photo, far), own, *size) for far in (False, True))


def outside(centres: list[tuple[float, float]], pts: np.ndarray, w: int, h: int) -> int:
    """How many detection centres (relative) lie outside the tracked face's landmark box (`pts`, pixels)."""
    (fx0, fy0), (fx1, fy1) = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
    return sum(1 for cx, cy in centres if not (fx0 <= cx * w <= fx1 and fy0 <= cy * h <= fy1))
