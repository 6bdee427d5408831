"""The face models (MediaPipe FaceMesh, face detection, selfie segmentation; all ship inside the 0.10.21 wheel)
and Graphs (one of each, shared by the analysers of a terminal), landmark indices, the landmark decoder and
SpareCore (is a core idle for the face count's worker thread?)."""
from __future__ import annotations

import os
import sys
import threading
import time
import types

import numpy as np

# FaceMesh landmark indices (left/right in image coordinates: the image's left is the student's right)
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # image-left eye: outer, upper x2, inner, lower x2
LEFT_EYE = (362, 385, 387, 263, 373, 380)
RIGHT_LIDS, LEFT_LIDS = (159, 145), (386, 374)  # upper and lower lid, middle
RIGHT_CORNERS, LEFT_CORNERS = (33, 133), (263, 362)  # outer, inner
RIGHT_IRIS, LEFT_IRIS = 468, 473  # centres; the next four points of each are its ring
UPPER_LIP, LOWER_LIP = 13, 14
MOUTH_CORNERS = (61, 291)
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
CHIN, FOREHEAD, NOSE_TIP = 152, 10, 1
MID_FOREHEAD = 151
BROW_TOPS = (105, 66, 107, 336, 296, 334)
BROW_MIDDLES = (105, 334)
RIGHT_CHEEK_EDGE, LEFT_CHEEK_EDGE = 234, 454
RIGHT_CHEEK, LEFT_CHEEK = 205, 425
MIN_DETECTION = 0.5  # face detector score, FaceMesh's and the face counter's


# MediaPipe's package imports its drawing helpers on every import, and with them matplotlib.pyplot: 31 MB of RSS and
# 0.3 s of the 0.4 s import (bench_ui's steps). Nothing in the kiosk draws with them, so they are never loaded.
_DRAWING = ("mediapipe.python.solutions.drawing_utils", "mediapipe.python.solutions.drawing_styles")


class _NotLoaded(types.ModuleType):
    def __getattr__(self, attr):
        raise AttributeError(f"{self.__name__} is not loaded in the kiosk (it imports matplotlib); "
                             f"import it in a process of its own")


def import_mediapipe():
    """MediaPipe (its models ship inside the 0.10.21 wheel: no download), without its drawing helpers."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("GLOG_minloglevel", "2")
    if "mediapipe" not in sys.modules:
        for name in _DRAWING:
            sys.modules.setdefault(name, _NotLoaded(name))
    import mediapipe as mp

    return mp



def load_face_mesh(static: bool, max_faces: int):
    return import_mediapipe().solutions.face_mesh.FaceMesh(
        static_image_mode=static, max_num_faces=max_faces, refine_landmarks=True,
        min_detection_confidence=MIN_DETECTION, min_tracking_confidence=0.5)


def load_face_detection(full_range: bool = False):
    """The short-range face detector FaceMesh itself runs (same model, same threshold), to count faces;
    full_range: the model for small faces (a head far from the camera, a crowd)."""
    return import_mediapipe().solutions.face_detection.FaceDetection(model_selection=1 if full_range else 0,
                                                               min_detection_confidence=MIN_DETECTION)


def load_segmentation():
    """Selfie segmentation (general model, 256x256): the person mask."""
    return import_mediapipe().solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)


class Graph:
    """One MediaPipe graph, one frame at a time (a graph is not for two threads at once)."""

    def __init__(self, graph):
        self._graph, self._lock = graph, threading.Lock()

    def process(self, rgb: np.ndarray):
        with self._lock:
            return self._graph.process(rgb)

    def close(self) -> None:
        with self._lock:
            self._graph.close()


class Graphs:
    """The MediaPipe graphs an analysis needs, each made on first use and then shared by every analyser and face
    counter given this object: the terminal's live and still analysers run one person segmenter and one face
    detector of each range, not one each (every graph holds its model and tens of MB of buffers once it has run).
    FaceMesh is kept per mode (tracking or still, and the face limit): a tracking graph carries the last frame's
    face, so one Graphs serves one live analyser."""

    def __init__(self):
        self._graphs: dict[tuple, Graph] = {}
        self._lock = threading.Lock()

    def _get(self, key: tuple, make) -> Graph:
        with self._lock:
            graph = self._graphs.get(key)
            if graph is None:
                graph = self._graphs[key] = Graph(make())
            return graph

    def face_mesh(self, static: bool, max_faces: int) -> Graph:
        return self._get(("face_mesh", static, max_faces), lambda: load_face_mesh(static, max_faces))

    def segmentation(self) -> Graph:
        return self._get(("segmentation",), load_segmentation)

    def detection(self, full_range: bool = False) -> Graph:
        return self._get(("detection", full_range), lambda: load_face_detection(full_range))

    @property
    def loaded(self) -> list[tuple]:
        """The keys of the graphs made so far (tests, diagnosis)."""
        with self._lock:
            return sorted(self._graphs, key=repr)

    def close(self) -> None:
        with self._lock:
            graphs, self._graphs = list(self._graphs.values()), {}
        for graph in graphs:
            graph.close()


# A NormalizedLandmark as FaceMesh serialises it: field tags and a length byte around three little-endian floats.
_LANDMARK_RECORD = np.dtype([("tag", "u1"), ("size", "u1"), ("tx", "u1"), ("x", "<f4"), ("ty", "u1"), ("y", "<f4"),
                             ("tz", "u1"), ("z", "<f4")])


def landmark_points(landmarks, width: float, height: float, depth: bool = False) -> np.ndarray:
    """N x 2 (N x 3 with depth) float32 pixel coordinates of a NormalizedLandmarkList; z is in the x scale
    (FaceMesh's z is relative to the head centre, in image widths).

    Decodes the serialised message with one numpy view (about 0.02 ms for 478 points, against 0.25-0.5 ms for
    reading the fields one by one in Python); any message that is not the plain x, y, z layout is read field by
    field instead.
    """
    raw = landmarks.SerializeToString()
    n = 3 if depth else 2
    if len(raw) % _LANDMARK_RECORD.itemsize == 0:
        rec = np.frombuffer(raw, _LANDMARK_RECORD)
        if len(rec) == len(landmarks.landmark) and (rec["tag"] == 0x0A).all() and (rec["size"] == 15).all() \
                and (rec["tx"] == 0x0D).all() and (rec["ty"] == 0x15).all() and (rec["tz"] == 0x1D).all():
            pts = np.empty((len(rec), n), np.float32)
            pts[:, 0] = rec["x"].astype(np.float64) * width  # in float64 as the Python path, stored as float32
            pts[:, 1] = rec["y"].astype(np.float64) * height
            if depth:
                pts[:, 2] = rec["z"].astype(np.float64) * width
            return pts
    return np.array([(p.x * width, p.y * height, p.z * width)[:n] for p in landmarks.landmark], np.float32)


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
