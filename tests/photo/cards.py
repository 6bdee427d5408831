"""Synthetic ID card and household-register page images: drawn with Pillow, warped in perspective onto a desk."""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from drivers.scanner.simulated import TILTED, draw_card as draw_card_of, place_on_desk  # noqa: F401 (re-exported)
from kiosk.record import example_card

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def draw_card(id_number: str, *, width: int = 856, portrait: np.ndarray | None = None) -> np.ndarray:
    """The front (photo side) of a resident ID card bearing `id_number` (and `portrait`, BGR, if given), BGR,
    85.6 x 54 mm at `width` pixels."""
    return draw_card_of(replace(example_card(), id_number=id_number), width=width, portrait=portrait)


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
