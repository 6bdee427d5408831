"""The photo's scene: the person mask (MediaPipe selfie segmentation) on the photo rectangle, and what it tells:
whole-backdrop colour and uniformity, anything in the photo that is not the candidate (another person, objects
before the backdrop), the silhouette above the crown (tall hair, buns, hats) and the colours of the head above
the forehead (headwear); and other faces counted on the photo rectangle at full resolution."""
from __future__ import annotations

import cv2
import numpy as np

from .thresholds import Thresholds

SCENE_SIZE = (144, 192)  # the photo rectangle as the mask sees it (the model works on 256 x 256)


def region_matrix(m: np.ndarray, box: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """2x3 affine from frame pixels to a `size` image of `box` (x0, y0, x1, y1 in the coordinates `m` maps to)."""
    x0, y0, x1, y1 = box
    sx, sy = size[0] / max(1e-6, x1 - x0), size[1] / max(1e-6, y1 - y0)
    s = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy], [0, 0, 1]], np.float64)
    return (s @ np.vstack([m, [0, 0, 1]]))[:2]


def warp(image: np.ndarray, a: np.ndarray, size: tuple[int, int], interp=cv2.INTER_LINEAR) -> np.ndarray:
    return cv2.warpAffine(image, a, size, flags=interp, borderMode=cv2.BORDER_REPLICATE)


def blue_in_range(hsv: np.ndarray, t: Thresholds) -> np.ndarray:
    """uint8 mask, 255 where the HSV pixel is backdrop blue."""
    return cv2.inRange(hsv, (t.blue_hue[0], t.blue_min_s, t.blue_min_v), (t.blue_hue[1], 255, 255))


def measure_scene(small_bgr: np.ndarray, person: np.ndarray, face: dict, t: Thresholds) -> dict:
    """Measures of a photo rectangle (`small_bgr`, its person mask 0..1) where the face's points are known in the
    same pixels: `face` has centre (x, y), eye_y, forehead_y (landmark 10), chin_y, half_width (cheek to centre).

    Returns background {blue, std, rgb}, others (share of the photo covered by people not joined to the
    candidate), clutter (share that is neither the candidate nor blue backdrop), top_ratio ((eye - silhouette top)
    / (chin - eye)), head_colour and head_white (shares of the head above the forehead that are vivid or white).
    """
    h, w = person.shape
    solid = (person > 0.5).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    cx, cy = int(min(w - 1, max(0, face["centre"][0]))), int(min(h - 1, max(0, face["centre"][1])))
    own = labels[cy, cx]
    if own == 0 and n > 1:  # the face centre fell on a hole of the mask: the largest component is the candidate
        own = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = float(h * w)
    others = sum(int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, n) if i != own
                 and stats[i, cv2.CC_STAT_AREA] >= 0.005 * area) / area
    candidate = (labels == own).astype(np.uint8) if own else np.zeros_like(solid)
    hsv = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2HSV)
    blue = blue_in_range(hsv, t) > 0
    near = cv2.dilate((person > 0.2).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0  # the cut-out's soft edge
    back = ~near
    if back.sum() >= 0.02 * area:
        px = hsv[back]
        mean_bgr = cv2.cvtColor(px.mean(axis=0).reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
        background = {"blue": round(float(blue[back].mean()), 3), "std": round(float(px[:, 2].std()), 2),
                      "rgb": [int(mean_bgr[2]), int(mean_bgr[1]), int(mean_bgr[0])]}
    else:
        background = {"blue": 0.0, "std": 0.0, "rgb": [0, 0, 0]}
    cand_near = cv2.dilate(candidate, np.ones((7, 7), np.uint8)) > 0
    clutter = float((~cand_near & ~blue).sum()) / area
    # the silhouette above the crown, in the head's middle column band
    half = face["half_width"]
    x0, x1 = int(max(0, face["centre"][0] - half / 2)), int(min(w, face["centre"][0] + half / 2))
    eye_y, chin_y = face["eye_y"], face["chin_y"]
    top_ratio, head_colour, head_white = 0.0, 0.0, 0.0
    if x1 > x0:
        column = candidate[:, x0:x1].mean(axis=1)
        rows = np.flatnonzero(column > 0.3)
        if len(rows):
            top = int(rows[0])
            top_ratio = (eye_y - top) / max(1e-6, chin_y - eye_y)
            hx0, hx1 = int(max(0, face["centre"][0] - half)), int(min(w, face["centre"][0] + half))
            y1 = int(max(top + 1, face["forehead_y"]))
            region = hsv[top:y1, hx0:hx1]
            inside = candidate[top:y1, hx0:hx1] > 0
            if inside.any():
                px = region[inside]
                s, v = px[:, 1].astype(np.int16), px[:, 2].astype(np.int16)
                head_colour = float(((s > 170) & (v > 130)).mean())  # brown hair stays below
                head_white = float(((s < 40) & (v > 200)).mean())
    return {"background": background, "others": round(others, 4), "clutter": round(clutter, 4),
            "top_ratio": round(float(top_ratio), 3), "head_colour": round(head_colour, 3),
            "head_white": round(head_white, 3)}
