"""The ID number printed on a card, read with RapidOCR (PP-OCR models ship inside rapidocr-onnxruntime).

Slow (~350 ms on 2 cores): run it once on the finished document, never per frame. The engine loads once.
"""
from __future__ import annotations

import functools
import re

import numpy as np

ID_PATTERN = re.compile(r"\d{17}[\dX]")


@functools.lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def read_id_number(image_bgr: np.ndarray) -> str | None:
    """The first 18-character ID number found in the image's text, or None."""
    result, _ = _engine()(image_bgr)
    for _box, text, _score in result or []:
        match = ID_PATTERN.search(re.sub(r"\s", "", text).upper())
        if match:
            return match.group(0)
    return None
