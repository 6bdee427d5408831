"""The printed form's QR code read back from a document-camera image (the operator's sign-off), with zxing-cpp.

zxing-cpp finds codes of any module size in one call (it tries downscaled copies itself) and copes with skew and blur;
OpenCV's QRCodeDetector, used before, missed about one in four of the longer signed payloads even over ten rescalings
(bench/bench_qr.py). The image is bounded before decoding. Drawing the code on the form is kiosk/form/qr.py.
"""
from __future__ import annotations

import numpy as np
import zxingcpp

from kiosk.errors import KioskError

MAX_SIDE = 12_000  # pixels; an A4 page at 600 dpi is 7016 x 4961
MAX_PIXELS = 40_000_000
MIN_SIDE = 21  # the smallest QR code, without its quiet zone, at one pixel a module

NOT_FOUND = "未识别到二维码，请将登记表的二维码朝上放在扫描区中央"


def read_qr(image) -> str:
    """The text of the one QR code in a document-camera image (BGR, BGRA or grayscale uint8), or a Chinese
    KioskError: no code, several different codes (two forms on the desk), or an image that is not a sane picture."""
    image = _bounded(image)
    texts = {code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if code.text}
    if not texts:
        raise KioskError(NOT_FOUND, detail="no QR code found")
    if len(texts) > 1:
        raise KioskError("扫描区内有多张登记表，请一次只放一张",
                         detail=f"{len(texts)} different QR codes in one image")
    return texts.pop()


def _bounded(image) -> np.ndarray:
    shape = getattr(image, "shape", None)
    ok = (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim in (2, 3)
          and (image.ndim == 2 or shape[2] in (1, 3, 4)))
    if ok:
        height, width = shape[:2]
        ok = MIN_SIDE <= min(height, width) and max(height, width) <= MAX_SIDE and height * width <= MAX_PIXELS
    if not ok:
        raise KioskError("扫描图像尺寸或格式异常，无法识别二维码，请重新扫描",
                         detail=f"document image refused before decoding: {type(image).__name__} {shape}")
    if image.ndim == 3 and image.shape[2] != 3:
        image = image[..., 0] if image.shape[2] == 1 else image[..., :3]
    return np.ascontiguousarray(image)
