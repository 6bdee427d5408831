"""Signs that the camera sees a printed photo or a screen (翻拍): moire and a rectangle framing the face.

No offline anti-spoof model ships in a package; these are hints for the operator, never a refusal.
"""
from __future__ import annotations

import cv2
import numpy as np

from .problems import Problem


def moire_score(gray_face: np.ndarray) -> float:
    """How far the face's strongest high-frequency peak stands above its spectral neighbourhood (a ratio).

    A screen's pixel grid or a print's halftone makes isolated spectral peaks; skin and hair make a smooth
    spectrum. Live composites scored 3.1-3.9, the same with a 5-pixel screen grating 5.6-14.8.
    """
    face = cv2.resize(gray_face, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32)
    face = (face - face.mean()) * _WINDOW
    spectrum = cv2.dft(face, flags=cv2.DFT_COMPLEX_OUTPUT)
    log_mag = np.fft.fftshift(np.log1p(cv2.magnitude(spectrum[..., 0], spectrum[..., 1])))
    return float(np.exp((log_mag - cv2.medianBlur(log_mag, 5))[_BAND].max()))


# The Hann window and the high-frequency band of a 128 x 128 face spectrum (centred), made once.
_WINDOW = (np.hanning(128)[:, None] * np.hanning(128)[None, :]).astype(np.float32)
_BAND = np.hypot(*np.mgrid[-64:64, -64:64]) > 12


def framing_rectangle(image: np.ndarray, face_center: tuple[float, float]) -> bool:
    """True when a large four-cornered outline (a phone, a tablet, a print's edge) surrounds the face."""
    h, w = image.shape[:2]
    scale = 480 / max(h, w)
    small = cv2.cvtColor(cv2.resize(image, None, fx=scale, fy=scale), cv2.COLOR_BGR2GRAY)  # shrink, then grey
    edges = cv2.dilate(cv2.Canny(small, 50, 150), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cx, cy = face_center[0] * scale, face_center[1] * scale
    area = small.shape[0] * small.shape[1]
    for c in contours:
        quad = cv2.approxPolyDP(c, 0.03 * cv2.arcLength(c, True), True)
        if len(quad) == 4 and 0.10 * area < cv2.contourArea(quad) < 0.92 * area and cv2.isContourConvex(quad) \
                and cv2.pointPolygonTest(quad, (cx, cy), False) > 0:
            return True
    return False


def recapture_warnings(image: np.ndarray, face_box: tuple[int, int, int, int], moire_peak: float) -> list[Problem]:
    x0, y0, x1, y1 = face_box
    warnings = []
    face = cv2.cvtColor(image[max(0, y0):y1, max(0, x0):x1], cv2.COLOR_BGR2GRAY)
    if face.size and moire_score(face) > moire_peak:
        warnings.append(Problem("moire", "照片上有网纹，可能是翻拍屏幕或打印照片，请工作人员核实"))
    if framing_rectangle(image, ((x0 + x1) / 2, (y0 + y1) / 2)):
        warnings.append(Problem("frame_edge", "人脸周围有矩形边框，可能是手持照片或屏幕，请工作人员核实"))
    return warnings
