"""The document image: find the card's (or page's) four corners, rectify, centre on the spec's canvas, encode.

The ID card is rectified to its 85.6 x 54 mm aspect; a household-register page (户口簿) keeps its measured aspect.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.errors import KioskError
from kiosk.identity import check_id_number
from kiosk.photo import jpeg
from kiosk.photo.problems import Problem
from kiosk.policy import DocumentSpec

CARD_ASPECT = 85.6 / 54.0
MARGIN = 0.05  # of the canvas width, around the document
MIN_SHARPNESS = 150.0  # Laplacian variance on the card at 856 px wide (synthetic cards: sharp 900+, sigma 3: < 60)
MAX_GLARE = 0.01  # share of the card that is blown-out white


class DocumentKind(enum.Enum):
    ID_CARD = "id_card"
    HOUSEHOLD_REGISTER = "household_register"


@dataclass
class DocumentImage:
    jpeg: bytes
    quality: int
    filename: str
    image: np.ndarray  # the canvas before encoding (BGR)
    warnings: list[Problem] = field(default_factory=list)  # for the operator (e.g. OCR mismatch)
    ocr_number: str | None = None


def order_corners(quad: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    pts = quad.reshape(4, 2).astype(np.float32)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]], np.float32)


def find_corners(image: np.ndarray) -> np.ndarray | None:
    """The document's four corners in image pixels, or None when no large four-sided outline is found."""
    scale = min(1.0, 1000 / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    area = gray.shape[0] * gray.shape[1]
    edges = cv2.dilate(cv2.Canny(gray, 30, 90), np.ones((3, 3), np.uint8))
    _, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for binary in (edges, otsu, 255 - otsu):
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            if cv2.contourArea(c) < 0.08 * area:
                break
            hull = cv2.convexHull(c)
            quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
            if len(quad) != 4:
                quad = cv2.boxPoints(cv2.minAreaRect(hull))
            if cv2.contourArea(quad.reshape(-1, 1, 2).astype(np.float32)) < 0.95 * area:
                return order_corners(quad) / scale
    return None


def rectify(image: np.ndarray, corners: np.ndarray, kind: DocumentKind) -> np.ndarray:
    tl, tr, br, bl = corners
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if kind is DocumentKind.ID_CARD:
        if height > width:  # the card lies on its side: turn it so its long edge is horizontal
            corners = np.array([bl, tl, tr, br], np.float32)
            width, height = height, width
        height = width / CARD_ASPECT
    w, h = int(round(width)), int(round(height))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_AREA)


def centre_on_canvas(doc: np.ndarray, spec: DocumentSpec) -> np.ndarray:
    """The document scaled to fit inside the margins and centred on a white canvas of the spec's size."""
    avail_w, avail_h = spec.width * (1 - 2 * MARGIN), spec.height - spec.width * 2 * MARGIN
    scale = min(avail_w / doc.shape[1], avail_h / doc.shape[0])
    w, h = int(round(doc.shape[1] * scale)), int(round(doc.shape[0] * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    canvas = np.full((spec.height, spec.width, 3), 255, np.uint8)
    x, y = (spec.width - w) // 2, (spec.height - h) // 2
    canvas[y:y + h, x:x + w] = cv2.resize(doc, (w, h), interpolation=interp)
    return canvas


def sharpness(doc: np.ndarray) -> float:
    gray = cv2.cvtColor(cv2.resize(doc, (856, int(856 * doc.shape[0] / doc.shape[1]))), cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def glare(doc: np.ndarray) -> float:
    return float((cv2.cvtColor(doc, cv2.COLOR_BGR2GRAY) >= 250).mean())


def make_document(image: np.ndarray, id_number: str, spec: DocumentSpec, *,
                  kind: DocumentKind = DocumentKind.ID_CARD, ocr: bool = False) -> DocumentImage:
    """Raises KioskError (Chinese, says what to do) when the document cannot be used."""
    check = check_id_number(id_number)
    if not check.valid:
        raise KioskError("身份证号码无效，无法为证件照片命名", detail="invalid id number for the document name")
    corners = find_corners(image)
    if corners is None:
        raise KioskError("未找到证件边缘，请把证件平放在扫描区中央，与背景分开", detail="no document outline found")
    doc = rectify(image, corners, kind)
    if sharpness(doc) < MIN_SHARPNESS:
        raise KioskError("证件图像模糊，请放平证件、保持不动后重新扫描", detail=f"document sharpness {sharpness(doc):.0f}")
    if glare(doc) > MAX_GLARE:
        raise KioskError("证件表面反光，请调整角度或遮挡强光后重新扫描", detail=f"document glare {glare(doc):.3f}")
    canvas = centre_on_canvas(doc, spec)
    data, quality = jpeg.encode_under(canvas, spec.max_bytes, spec.min_dpi)
    number = check.id_number
    result = DocumentImage(data, quality, spec.filename.format(id_number=number), canvas)
    if ocr and kind is DocumentKind.ID_CARD:
        from .ocr import read_id_number

        result.ocr_number = read_id_number(canvas)
        if result.ocr_number != number:
            result.warnings.append(Problem(
                "ocr_mismatch", "证件上识别出的身份证号码与芯片不一致，请工作人员核对" if result.ocr_number
                else "未能从证件图像识别身份证号码，请工作人员核对"))
    return result
