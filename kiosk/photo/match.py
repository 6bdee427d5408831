"""The live photo matched to the face printed on the student's ID card (the notices: the photo must agree with the
card the student holds).

dlib's ResNet face embedding (128-D, 99.38% on LFW) on faces aligned by its 5-point landmark model; both models
ship in the face-recognition-models package (the 5-point model's training data carries no non-commercial
restriction, unlike the 68-point one; it is not used). Faces are found by MediaPipe's face detector (the one the
photo checks use), with dlib's HOG detector as a second try. Each face is embedded as the mean of the aligned chip
and its mirror image (a face is nearly symmetric; the mean takes out the side the light or the pose favours): on
shared/faces it pulled the widest same-person distance from 0.46 to 0.42 and left 8 instead of 20 of 634 pairs
of different real people closer than that (MEASURES.md).

A mismatch is never an automatic refusal: the verdict is `same`, `uncertain` or `different`, and anything but
`same` carries an operator warning; the two aligned face crops are kept for the operator's screen.
No registry package ships a stronger embedding model with its weights (ArcFace, SFace and MobileFaceNet packages
download them at first use), so the limits leave a wide middle to the operator: see SAME_BELOW.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from .problems import Problem

# Euclidean distance between embeddings, live photo against the portrait printed on a simulated card and rescanned
# (MEASURES.md, all pairs of the 39 single-face frames of shared/faces). The same photograph edited: 0.06..0.10;
# the same person in two photographs: 0.29..0.42; different real people: 0.39 and up; different synthetic
# (generated) faces of one generator: 0.23 and up. No limit separates same-person from different-person pairs,
# so `same` (no warning) is kept below every different pair (0.20: margin 0.03 to the nearest synthetic pair, 0.19
# to real people) and `different` above every same-person pair (0.47: margin 0.05); between them the operator
# compares the two faces. A mismatch is only ever a review.
SAME_BELOW = 0.20
DIFFERENT_ABOVE = 0.47
CHIP_WIDTH, CHIP_HEIGHT = 102, 126  # the chip photo as a vendor WLT decoder returns it (24-bit)
CHIP = 150  # the aligned face crop the embedding is computed on (and shown to the operator)

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


class FaceMatcher:
    """Owns the models (about 100 MB, loaded once); embed() and match() are thread-safe."""

    def __init__(self):
        import dlib
        import face_recognition_models as models

        os.environ.setdefault("GLOG_minloglevel", "2")
        self._shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._net = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self._hog = dlib.get_frontal_face_detector()
        self._dlib = dlib
        self._lock = threading.Lock()
        self._detector = None

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()

    def _boxes(self, rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Face boxes (x0, y0, x1, y1), largest first: MediaPipe's detector, then dlib's HOG (upsampled once)."""
        h, w = rgb.shape[:2]
        if self._detector is None:
            from .mesh import load_face_detection

            self._detector = load_face_detection(full_range=True)
        boxes = []
        for d in self._detector.process(rgb).detections or []:
            b = d.location_data.relative_bounding_box
            boxes.append((int(b.xmin * w), int(b.ymin * h), int((b.xmin + b.width) * w), int((b.ymin + b.height) * h)))
        if not boxes:
            boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in self._hog(rgb, 1)]
        return sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)

    def embed(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(128-D embedding, aligned CHIP x CHIP BGR crop) of the largest face, or None. The embedding is the mean of
        the chip's and its mirror image's."""
        rgb = np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
        with self._lock:
            boxes = self._boxes(rgb)
            if not boxes:
                return None
            x0, y0, x1, y1 = boxes[0]
            shape = self._shape(rgb, self._dlib.rectangle(max(0, x0), max(0, y0), x1, y1))
            chip = np.asarray(self._dlib.get_face_chip(rgb, shape, size=CHIP, padding=0.25))
            both = self._net.compute_face_descriptor([chip, np.ascontiguousarray(chip[:, ::-1])])
            vector = np.mean(np.array(both, np.float32), axis=0)
        return vector, cv2.cvtColor(chip, cv2.COLOR_RGB2BGR)

    def match(self, live_bgr: np.ndarray, card_bgr: np.ndarray) -> FaceMatch:
        live, card = self.embed(live_bgr), self.embed(card_bgr)
        if live is None or card is None:
            return FaceMatch(None, "unavailable", live and live[1], card and card[1], WARNING_NO_FACE)
        distance = float(np.linalg.norm(live[0] - card[0]))
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


def _matcher() -> FaceMatcher:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FaceMatcher()
        return _shared
