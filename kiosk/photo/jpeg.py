"""JPEG under a byte cap: the highest quality that fits, found by binary search; JFIF density set, no metadata."""
from __future__ import annotations

import io

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


def encode_under(image_bgr: np.ndarray, max_bytes: int, dpi: int, *, lowest: int = 20,
                 highest: int = 95) -> tuple[bytes, int]:
    """(JPEG bytes, quality): the highest quality in [lowest, highest] whose file is <= max_bytes.

    Binary search with plain Huffman tables (fast), then optimised tables (smaller files) for the winner and,
    while they still fit, the next qualities up.
    """
    img = _pil(image_bgr)
    lo, hi, found = lowest, highest, None
    while lo <= hi:
        q = (lo + hi) // 2
        if len(encode(img, q, dpi, optimize=False)) <= max_bytes:
            found, lo = q, q + 1
        else:
            hi = q - 1
    if found is None:
        found = lowest  # optimised tables may still fit
    best = None
    for q in range(found, highest + 1):
        data = encode(img, q, dpi)
        if len(data) > max_bytes:
            break
        best = (data, q)
    if best is None:
        raise KioskError("图像内容过于复杂，无法压缩到规定大小，请重新拍摄",
                         detail=f"no JPEG quality >= {lowest} fits {max_bytes} bytes")
    return best


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
