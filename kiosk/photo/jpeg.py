"""JPEG under a byte cap: the highest quality that fits, found by a guided search; JFIF density set, no metadata."""
from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image

from kiosk.errors import KioskError


def _pil(image_bgr: np.ndarray) -> Image.Image:
    return Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))  # a fresh image: no EXIF, no ICC, no comments


def encode(image_bgr: np.ndarray | Image.Image, quality: int, dpi: int, *, optimize: bool = True) -> bytes:
    img = image_bgr if isinstance(image_bgr, Image.Image) else _pil(image_bgr)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=optimize, subsampling="4:2:0", dpi=(dpi, dpi))
    return buf.getvalue()


def _step(quality: int) -> float:
    """libjpeg's quantisation scale (percent of the base tables) at a quality: step sizes are proportional to it."""
    return 5000 / quality if quality < 50 else 200 - 2 * quality


def _quality_for_step(step: float) -> float:
    return 5000 / step if step > 100 else (200 - step) / 2


def encode_under(image_bgr: np.ndarray, max_bytes: int, dpi: int, *, lowest: int = 20, highest: int = 95,
                 start: int = 85) -> tuple[bytes, int]:
    """(JPEG bytes, quality): the highest quality in [lowest, highest] whose file is <= max_bytes.

    Every probe is the real encode (optimised Huffman tables, the bytes that are kept). The answer is proven by
    two neighbours: quality q fits and q + 1 does not (or q is `highest`). The next probe is predicted from the
    probes so far: a JPEG's size follows a power of its quantisation step closely (log size is nearly linear in
    log step), so 2-4 encodes usually find it where a bisection over 20-95 takes 7 plain encodes and then 2-3
    optimised ones. After 4 probes the search bisects what is left of the bracket.
    """
    img = _pil(image_bgr)
    fits: dict[int, bytes] = {}
    lo, hi = lowest - 1, highest + 1  # lo fits (or is below the range), hi does not (or is above it)
    sizes: dict[int, int] = {}
    q = min(max(start, lowest), highest)
    while hi - lo > 1:
        data = encode(img, q, dpi)
        sizes[q] = len(data)
        if len(data) <= max_bytes:
            fits[q], lo = data, q
        else:
            hi = q
        if hi - lo <= 1:
            break
        q = _next_probe(sizes, lo, hi, max_bytes) if len(sizes) < 4 else (lo + hi) // 2
    if lo < lowest:
        raise KioskError("图像内容过于复杂，无法压缩到规定大小，请重新拍摄",
                         detail=f"no JPEG quality >= {lowest} fits {max_bytes} bytes")
    return fits[lo], lo


def _next_probe(sizes: dict[int, int], lo: int, hi: int, max_bytes: int) -> int:
    """The quality predicted to be the last that fits, strictly inside (lo, hi); the midpoint when unsure."""
    known = sorted(sizes)
    if len(known) >= 2:  # secant in (log step, log size) through the two probes nearest the cap
        near = sorted(known, key=lambda k: abs(math.log(sizes[k] / max_bytes)))[:2]
        q1, q2 = near
        x1, x2 = math.log(_step(q1)), math.log(_step(q2))
        y1, y2 = math.log(sizes[q1]), math.log(sizes[q2])
        slope = (y2 - y1) / (x2 - x1) if x2 != x1 and y2 != y1 else -0.5
    else:
        q1 = known[0]
        x1, y1, slope = math.log(_step(q1)), math.log(sizes[q1]), -0.5  # size ~ step^-0.5 on photographs
    slope = min(-0.1, slope)  # sizes fall as the step grows
    guess = _quality_for_step(math.exp(x1 + (math.log(max_bytes) - y1) / slope))
    q = math.floor(guess)
    if lo in sizes and q <= lo:  # lo fits: the question is lo + 1
        q = lo + 1
    if hi in sizes and q >= hi:
        q = hi - 1
    if not lo < q < hi:
        q = (lo + hi) // 2
    return q


def jfif_density(data: bytes) -> tuple[int, int, int] | None:
    """(units, x, y) from the JFIF APP0 segment (units 1 = dots per inch), or None when there is none."""
    if data[:2] != b"\xff\xd8" or data[2:4] != b"\xff\xe0" or data[6:11] != b"JFIF\x00":
        return None
    return data[13], int.from_bytes(data[14:16], "big"), int.from_bytes(data[16:18], "big")


def has_metadata(data: bytes) -> bool:
    """True when the file carries EXIF, XMP, ICC or a comment segment."""
    with Image.open(io.BytesIO(data)) as img:
        return bool(img.info.get("exif") or img.info.get("icc_profile") or img.info.get("comment")
                    or img.info.get("xmp") or img.getexif())
