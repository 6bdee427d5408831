"""Synthetic ID card and household-register page images: drawn with Pillow, warped in perspective onto a desk."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def draw_card(id_number: str, *, width: int = 856) -> np.ndarray:
    """The front (photo side) of a resident ID card, BGR, 85.6 x 54 mm at `width` pixels."""
    height = round(width * 54 / 85.6)
    img = Image.new("RGB", (width, height), (232, 238, 242))
    d = ImageDraw.Draw(img)
    for y in range(0, height, 6):  # the faint guilloche-like background
        d.line([(0, y), (width, y + 40)], fill=(222, 230, 238), width=2)
    f = lambda size: ImageFont.truetype(FONT, round(size * width / 856))
    s = width / 856
    d.text((60 * s, 50 * s), "姓名", font=f(30), fill=(60, 110, 160))
    d.text((150 * s, 46 * s), "张小明", font=f(38), fill=(10, 10, 10))
    d.text((60 * s, 120 * s), "性别  男     民族  汉", font=f(30), fill=(60, 60, 60))
    d.text((60 * s, 185 * s), "出生  2009 年 3 月 7 日", font=f(30), fill=(60, 60, 60))
    d.text((60 * s, 250 * s), "住址  河南省郑州市金水区", font=f(30), fill=(60, 60, 60))
    d.text((150 * s, 295 * s), "文化路 100 号", font=f(30), fill=(60, 60, 60))
    d.text((60 * s, 430 * s), "公民身份号码", font=f(30), fill=(60, 110, 160))
    d.text((290 * s, 426 * s), id_number, font=f(38), fill=(10, 10, 10))
    d.rectangle([600 * s, 60 * s, 800 * s, 320 * s], fill=(200, 205, 215))  # the portrait's place
    d.ellipse([650 * s, 100 * s, 750 * s, 220 * s], fill=(170, 150, 140))
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def draw_register_page(id_number: str, *, width: int = 600) -> np.ndarray:
    """A household-register page (常住人口登记卡), portrait, BGR."""
    height = round(width * 143 / 105)
    img = Image.new("RGB", (width, height), (245, 236, 228))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, round(22 * width / 600))
    d.text((width * 0.3, 30), "常住人口登记卡", font=font, fill=(20, 20, 20))
    rows = ["姓名  张小明", "户主或与户主关系  子", "性别  男", "出生日期  2009年3月7日", "公民身份号码  " + id_number]
    for i, text in enumerate(rows):
        y = 90 + i * 70
        d.rectangle([20, y - 10, width - 20, y + 50], outline=(150, 80, 60), width=2)
        d.text((35, y), text, font=font, fill=(20, 20, 20))
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def place_on_desk(doc: np.ndarray, corners: list[tuple[float, float]], size=(1280, 960), seed: int = 0) -> np.ndarray:
    """The document warped onto `corners` (tl, tr, br, bl) of a dark, slightly noisy desk photo."""
    rng = np.random.default_rng(seed)
    w, h = size
    desk = np.full((h, w, 3), (60, 70, 85), np.float32) + rng.normal(0, 6, (h, w, 3))
    src = np.float32([[0, 0], [doc.shape[1], 0], [doc.shape[1], doc.shape[0]], [0, doc.shape[0]]])
    m = cv2.getPerspectiveTransform(src, np.float32(corners))
    warped = cv2.warpPerspective(doc, m, size).astype(np.float32)
    mask = cv2.warpPerspective(np.ones(doc.shape[:2], np.float32), m, size)[..., None]
    return np.clip(warped * mask + desk * (1 - mask), 0, 255).astype(np.uint8)


TILTED = [(260, 190), (1010, 240), (990, 760), (230, 700)]
