"""A simulated document camera: renders the front of the student's ID card (from the chip's fields) lying askew on
a desk, so the document pipeline runs on a realistic picture of the very card that was read. The card carries the
demo camera's scripted student as its portrait (drivers.camera.demo), so the demo's live photo matches its card."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.identity import IdentityCard
from kiosk.fonts import CJK_FONT

FONT = CJK_FONT
TILTED = [(260, 190), (1010, 240), (990, 760), (230, 700)]  # tl, tr, br, bl on a 1280x960 desk


PORTRAIT_BOX = (600, 60, 800, 320)  # x0, y0, x1, y1 of the portrait on an 856-pixel-wide card


def draw_card(card: IdentityCard, *, width: int = 856, portrait: np.ndarray | None = None) -> np.ndarray:
    """The front (portrait side) of a resident ID card, BGR, 85.6 x 54 mm at `width` pixels; `portrait` (BGR)
    is printed in the portrait's place (a plain placeholder without one)."""
    height = round(width * 54 / 85.6)
    s = width / 856
    img = Image.new("RGB", (width, height), (232, 238, 242))
    d = ImageDraw.Draw(img)
    for y in range(0, height, 6):  # the faint guilloche-like background
        d.line([(0, y), (width, y + 40)], fill=(222, 230, 238), width=2)

    def text(x, y, value, size, colour=(60, 60, 60)):
        d.text((x * s, y * s), value, font=ImageFont.truetype(FONT, round(size * s)), fill=colour)

    b = card.birth_date
    address = card.address or ""
    text(60, 50, "姓名", 30, (60, 110, 160))
    text(150, 46, card.name, 38, (10, 10, 10))
    text(60, 120, f"性别  {card.gender}     民族  {card.ethnicity.removesuffix('族')}", 30)
    text(60, 185, f"出生  {b.year} 年 {b.month} 月 {b.day} 日", 30)
    text(60, 250, f"住址  {address[:11]}", 30)
    text(150, 295, address[11:22], 30)
    text(60, 430, "公民身份号码", 30, (60, 110, 160))
    text(290, 426, card.id_number, 38, (10, 10, 10))
    x0, y0, x1, y1 = (round(v * s) for v in PORTRAIT_BOX)
    if portrait is None:
        d.rectangle([x0, y0, x1, y1], fill=(200, 205, 215))  # the portrait's place
        d.ellipse([650 * s, 100 * s, 750 * s, 220 * s], fill=(170, 150, 140))
    out = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)
    if portrait is not None:
        out[y0:y1, x0:x1] = cv2.resize(portrait, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return out


def draw_register_page(card: IdentityCard, *, width: int = 700) -> np.ndarray:
    """A household-register page (常住人口登记卡) bearing the card's fields, portrait, BGR."""
    height = round(width * 143 / 105)
    img = Image.new("RGB", (width, height), (245, 236, 228))
    d = ImageDraw.Draw(img)
    s = width / 700
    font = ImageFont.truetype(FONT, round(26 * s))
    d.text((width * 0.3, 30 * s), "常住人口登记卡", font=ImageFont.truetype(FONT, round(34 * s)), fill=(20, 20, 20))
    b = card.birth_date
    rows = [f"姓名  {card.name}", "户主或与户主关系  子", f"性别  {card.gender}　民族  {card.ethnicity}",
            f"出生日期  {b.year}年{b.month}月{b.day}日", f"住址  {card.address[:18]}", f"公民身份号码  {card.id_number}"]
    for i, text in enumerate(rows):
        y = (110 + i * 80) * s
        d.rectangle([20 * s, y - 12 * s, width - 20 * s, y + 56 * s], outline=(150, 80, 60), width=2)
        d.text((35 * s, y), text, font=font, fill=(20, 20, 20))
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def place_on_desk(doc: np.ndarray, corners=TILTED, size=(1280, 960), seed: int = 0) -> np.ndarray:
    """The document warped onto `corners` (tl, tr, br, bl) of a dark, slightly noisy desk photo."""
    rng = np.random.default_rng(seed)
    w, h = size
    desk = rng.standard_normal((h, w, 3), dtype=np.float32)
    desk *= 6
    desk += np.float32((60, 70, 85))
    src = np.float32([[0, 0], [doc.shape[1], 0], [doc.shape[1], doc.shape[0]], [0, doc.shape[0]]])
    m = cv2.getPerspectiveTransform(src, np.float32(corners))
    warped = cv2.warpPerspective(doc, m, size).astype(np.float32)
    mask = cv2.warpPerspective(np.ones(doc.shape[:2], np.float32), m, size)[..., None]
    warped -= desk  # warped * mask + desk * (1 - mask), in place in float32: 38 MB at most, not 104
    warped *= mask
    warped += desk
    return np.clip(warped, 0, 255, out=warped).astype(np.uint8)


def render_page(pdf: bytes, dpi: int = 200) -> np.ndarray:
    """The first page of a PDF as the camera sees paper (pdftoppm from poppler-utils), BGR."""
    import subprocess

    png = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "-"], input=pdf,
                         capture_output=True, check=True, timeout=30).stdout
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)


class SimulatedDocumentCamera:
    """DocumentScanner that 'photographs' the card last laid on the reader (set by the composition root)."""

    def __init__(self, portrait=None):
        """portrait: the BGR image printed on every card, or a callable making it on the first scan (by default the
        demo camera's student: the same source image the scripted camera plays); False for a blank portrait box."""
        self._portrait = portrait
        self.card: IdentityCard | None = None
        self.register_page = False  # the household register page of `card` instead of the card
        self.form_pdf: bytes | None = None  # a printed form laid for its QR (operator sign-off)

    def lay(self, card: IdentityCard) -> None:
        self.card, self.register_page, self.form_pdf = card, False, None

    def lay_form(self, pdf: bytes) -> None:
        """The operator lays a signed, printed form (its PDF rendered as paper on the desk)."""
        self.form_pdf = pdf

    def lay_register(self, card: IdentityCard) -> None:
        """The operator lays a student's household register page (the assisted path, no ID card)."""
        self.card, self.register_page, self.form_pdf = card, True, None

    def scan(self) -> np.ndarray:
        from kiosk.errors import KioskError

        if self.form_pdf is not None:
            return render_page(self.form_pdf)

        if self.card is None:
            raise KioskError("请将身份证正面朝上放在扫描区", detail="simulated document camera has no card")
        if self.register_page:
            return place_on_desk(draw_register_page(self.card), [(420, 80), (900, 110), (880, 880), (400, 860)])
        return place_on_desk(draw_card(self.card, portrait=self.portrait()))

    def portrait(self) -> np.ndarray | None:
        if self._portrait is None:
            from drivers.camera.demo import demo_portrait

            self._portrait = demo_portrait
        if callable(self._portrait):
            self._portrait = self._portrait()
        return None if self._portrait is False else self._portrait

    def close(self) -> None:
        pass
