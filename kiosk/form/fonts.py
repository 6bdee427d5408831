"""The form's font (WenQuanYi Micro Hei, embedded as a subset) and paragraph styles."""
from __future__ import annotations

import functools
import unicodedata
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from kiosk.errors import KioskError
from kiosk.fonts import CJK_FONT

FONT_NAME = "WQYMicroHei"
FONT_PATH = CJK_FONT


@functools.cache
def font() -> TTFont:
    """Registers the font once per process (ReportLab embeds only the glyphs used: a subset)."""
    try:
        face = TTFont(FONT_NAME, FONT_PATH, subfontIndex=0)
    except Exception as exc:
        raise KioskError("缺少中文字体，无法生成报名登记表，请联系技术人员",
                         detail=f"cannot load {FONT_PATH}: {exc}") from None
    pdfmetrics.registerFont(face)
    return face


def missing_glyphs(*texts: str) -> str:
    """Characters the font cannot draw (they would print as boxes), in order of first appearance."""
    covered = font().face.charToGlyph
    seen: dict[str, None] = {}
    for text in texts:
        for ch in text:
            if not ch.isspace() and ord(ch) not in covered:
                seen.setdefault(ch)
    return "".join(seen)


def para_text(value) -> str:
    """Plain text -> Paragraph markup: escaped, newlines kept as line breaks, control characters dropped."""
    text = "".join(ch for ch in str(value).replace("\t", " ") if ch == "\n" or unicodedata.category(ch)[0] != "C")
    # Paragraph collapses U+3000 like any space; blanks for handwriting need width: three no-break spaces each
    return escape(text).replace("\n", "<br/>").replace("\u3000", "\u00a0" * 3)


@functools.cache
def style(size: float, align: str = "left", leading_ratio: float = 1.3) -> ParagraphStyle:
    font()
    return ParagraphStyle(f"form-{size}-{align}", fontName=FONT_NAME, fontSize=size, leading=size * leading_ratio,
                          alignment=TA_CENTER if align == "center" else TA_LEFT, wordWrap="CJK")
