"""The portrait printed on the scanned ID card: where it is on the document image.

The resident ID card (GB 19172) prints the holder's portrait on the right of its front: about 0.66-0.97 of the
card's width and 0.06-0.66 of its height. The document image (DocumentImage.image) is the rectified card centred on
a white canvas; the card is found again as the canvas's non-white box.
"""
from __future__ import annotations

import cv2
import numpy as np

PORTRAIT = (0.66, 0.06, 0.97, 0.66)  # of the card: x0, y0, x1, y1


def card_box(canvas: np.ndarray) -> tuple[int, int, int, int] | None:
    """The card's box (x0, y0, x1, y1) on the white canvas, or None when the canvas is blank."""
    gray = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    rows, cols = np.flatnonzero((gray < 250).mean(axis=1) > 0.3), np.flatnonzero((gray < 250).mean(axis=0) > 0.3)
    if not len(rows) or not len(cols):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def card_portrait(canvas: np.ndarray, scale_to: int = 320) -> np.ndarray | None:
    """The portrait region of the card, scaled to `scale_to` pixels high (face detectors want a few hundred)."""
    box = card_box(canvas)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    px0, py0, px1, py1 = (int(x0 + PORTRAIT[0] * w), int(y0 + PORTRAIT[1] * h), int(x0 + PORTRAIT[2] * w),
                          int(y0 + PORTRAIT[3] * h))
    region = canvas[py0:py1, px0:px1]
    if region.size == 0:
        return None
    k = scale_to / region.shape[0]
    return cv2.resize(region, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA)
