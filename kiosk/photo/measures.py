"""Face measures from FaceMesh landmarks and the pixels around them. Pure functions of (points, image).

Every measure is scaled by something of the same face, so it does not move with the camera distance or the image
size: eye opening by the iris diameter (about 11.7 mm in every person over about 7 years old), the mouth by the
eye-chin distance and the iris area, colour differences in CIELAB units. The per-class distributions each limit was
chosen from are in MEASURES.md beside this file.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .mesh import (BROW_MIDDLES, CHIN, INNER_LIPS, LEFT_CHEEK, LEFT_CHEEK_EDGE, LEFT_CORNERS, LEFT_IRIS, LEFT_LIDS,
                   LOWER_LIP, MID_FOREHEAD, RIGHT_CHEEK, RIGHT_CHEEK_EDGE, RIGHT_CORNERS, RIGHT_IRIS, RIGHT_LIDS,
                   UPPER_LIP)

# FaceMesh puts the forehead point (10) behind the chin (152): a face looking straight into the camera measures
# about this pitch (the middle of the 15 good and good* faces of the calibration set: 9 deg, range -0.4..16.3).
PITCH_ZERO_DEG = 9.0


def iris_diameter(pts: np.ndarray, centre: int) -> float:
    ring = pts[centre + 1:centre + 5, :2]
    return float((np.linalg.norm(ring[0] - ring[2]) + np.linalg.norm(ring[1] - ring[3])) / 2)


def eye_openness(pts: np.ndarray) -> tuple[float, float]:
    """(image-left eye, image-right eye): the lid gap at the middle of the eye over the iris diameter.

    Open eyes of the set measured 0.51-0.88 (good, good*, smile), closed ones 0.19-0.26: the eye aspect ratio
    (width-relative) moved with the eye's shape, scale and JPEG quality (open 0.17-0.20 against a 0.20 limit)."""
    out = []
    for (up, lo), iris in ((RIGHT_LIDS, RIGHT_IRIS), (LEFT_LIDS, LEFT_IRIS)):
        d = iris_diameter(pts, iris)
        out.append(float(np.linalg.norm(pts[up, :2] - pts[lo, :2]) / d) if d > 0 else 0.0)
    return out[0], out[1]


def gaze(pts: np.ndarray) -> float:
    """Horizontal gaze: how far both irises sit from the middle of their eyes, in eye widths (positive: towards
    the image's right). Looking into the lens: 0 within about 0.04."""
    def along(iris: int, outer: int, inner: int) -> float:
        e = pts[inner, :2] - pts[outer, :2]
        length = float(np.linalg.norm(e)) or 1.0
        return float((pts[iris, :2] - pts[outer, :2]) @ e) / length ** 2

    right = along(RIGHT_IRIS, *RIGHT_CORNERS)  # grows towards the image's right
    left = along(LEFT_IRIS, *LEFT_CORNERS)  # grows towards the image's left
    return (right - left) / 2


def head_pose(pts3: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh's 3-D points (x, y in pixels, z in the same scale).

    The head's axes: x from cheek edge to cheek edge, y from forehead (10) to chin (152), z their cross product.
    Yaw: positive when the face turns towards the image's right; pitch: positive when the head tips down (less
    PITCH_ZERO_DEG); roll: the eye line in the image, positive clockwise as seen."""
    x = pts3[LEFT_CHEEK_EDGE].astype(np.float64) - pts3[RIGHT_CHEEK_EDGE]
    x /= np.linalg.norm(x) or 1.0
    y = pts3[CHIN].astype(np.float64) - pts3[10]
    z = np.cross(x, y)
    z /= np.linalg.norm(z) or 1.0
    y = np.cross(z, x)
    yaw = math.degrees(math.atan2(x[2], math.hypot(x[0], x[1])))
    pitch = math.degrees(math.atan2(y[2], z[2]))
    return -yaw, pitch - PITCH_ZERO_DEG, eye_roll(pts3)


def eye_roll(pts: np.ndarray) -> float:
    """The eye line's angle in the image, degrees, positive clockwise as seen."""
    right, left = pts[RIGHT_IRIS], pts[LEFT_IRIS]
    return math.degrees(math.atan2(float(left[1] - right[1]), float(left[0] - right[0])))


def upright_matrix(pivot: tuple[float, float], roll_deg: float) -> np.ndarray:
    """2x3 affine turning the image about `pivot` so that an eye line at `roll_deg` becomes level."""
    return cv2.getRotationMatrix2D((float(pivot[0]), float(pivot[1])), float(roll_deg), 1.0)


def transform(pts: np.ndarray, m: np.ndarray) -> np.ndarray:
    return (pts[:, :2].astype(np.float32) @ m[:, :2].T.astype(np.float32) + m[:, 2].astype(np.float32))


def _patch(image: np.ndarray, x: float, y: float, r: int) -> np.ndarray:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(max(0, x - r)), int(max(0, y - r)), int(min(w, x + r)), int(min(h, y + r))
    return image[y0:y1, x0:x1].reshape(-1, image.shape[2] if image.ndim == 3 else 1)


def lab_patch(bgr: np.ndarray, x: float, y: float, r: int) -> np.ndarray:
    """Median CIELAB (L 0-100, a, b) of a square patch."""
    region = _patch(bgr, x, y, r).reshape(-1, 1, 3)
    if not len(region):
        return np.zeros(3, np.float32)
    lab = cv2.cvtColor(region.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
    return np.median(lab.reshape(-1, 3), axis=0)


def fringe_contrast(bgr: np.ndarray, pts: np.ndarray) -> tuple[float, float]:
    """How unlike the cheeks' skin the forehead is just above the brows: the largest CIELAB difference (dE76) of
    three patches (mid forehead, above each brow's middle) from the cheeks' median, as (largest, second largest).
    A fringe over both brows raises two patches (second 41-50 on the set), a lock over one brow or a lit brow
    ridge one (bare foreheads: second at most 35)."""
    face_w = float(np.linalg.norm(pts[LEFT_CHEEK_EDGE, :2] - pts[RIGHT_CHEEK_EDGE, :2]))
    r = max(2, int(0.05 * face_w))
    skin = np.median([lab_patch(bgr, *pts[i, :2], r) for i in (RIGHT_CHEEK, LEFT_CHEEK)], axis=0)
    up = pts[10, :2] - pts[CHIN, :2]  # the face's own up (a tilted head keeps its patches on the forehead)
    up = up / (np.linalg.norm(up) or 1.0)
    spots = [pts[MID_FOREHEAD, :2]]
    for i, iris in zip(BROW_MIDDLES, (RIGHT_IRIS, LEFT_IRIS)):
        lift = 0.25 * float(np.linalg.norm(pts[iris, :2] - pts[i, :2]))  # a quarter of the eye-to-brow height
        spots.append(pts[i, :2] + up * lift)
    d = sorted((float(np.linalg.norm(lab_patch(bgr, x, y, r) - skin)) for x, y in spots), reverse=True)
    return d[0], d[1]


def mouth(bgr: np.ndarray, pts: np.ndarray) -> tuple[float, float]:
    """(lip gap over eye-chin, teeth): teeth is the area between the inner lips that is bright and unsaturated
    like teeth, over the iris area (closed lips: at most 0.01; smiles showing teeth: 0.14-3.4)."""
    eye_y = (pts[RIGHT_IRIS, 1] + pts[LEFT_IRIS, 1]) / 2
    eye_chin = float(pts[CHIN, 1] - eye_y) or 1.0
    gap = float((pts[LOWER_LIP, 1] - pts[UPPER_LIP, 1]) / eye_chin)
    poly = pts[list(INNER_LIPS), :2]
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 1
    h, w = bgr.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    iris = (iris_diameter(pts, RIGHT_IRIS) + iris_diameter(pts, LEFT_IRIS)) / 2
    if x1 <= x0 or y1 <= y0 or iris <= 0:
        return gap, 0.0
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(poly - (x0, y0)).astype(np.int32)], 255)
    hsv = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    face_w = float(np.linalg.norm(pts[LEFT_CHEEK_EDGE, :2] - pts[RIGHT_CHEEK_EDGE, :2]))
    r = max(2, int(0.04 * face_w))
    cheeks = [_patch(bgr, *pts[i, :2], r) for i in (RIGHT_CHEEK, LEFT_CHEEK)]
    skin_v = max((float(np.median(c.max(axis=1))) for c in cheeks if len(c)), default=255.0)  # the lit side
    teeth = (hsv[..., 1] < 70) & (hsv[..., 2] > 0.85 * skin_v) & (mask > 0)
    return gap, float(np.count_nonzero(teeth)) / iris ** 2


def eye_glare(bgr: np.ndarray, pts: np.ndarray) -> float:
    """Blown-out pixels (>= 250) around both eyes, over the iris area: catch-lights in bare eyes stay below about
    0.1; a reflection on spectacle lenses covers a good part of an iris or more."""
    iris = (iris_diameter(pts, RIGHT_IRIS) + iris_diameter(pts, LEFT_IRIS)) / 2
    if iris <= 0:
        return 0.0
    total = 0
    for c in (RIGHT_IRIS, LEFT_IRIS):
        region = _patch(bgr, *pts[c, :2], int(1.5 * iris)).reshape(-1, 1, 3)
        if len(region):
            total += int(np.count_nonzero(cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) >= 250))
    return total / iris ** 2
