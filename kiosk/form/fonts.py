"""The form's fonts and paragraph styles: the kiosk's font chain (kiosk/fonts.py), every face embedded as a subset.

The body font is WenQuanYi Micro Hei; a character it lacks (䶮 in 刘䶮) is set in the first fallback face that has
it (HanaMin A/B, BabelStone Han) through a <font> run, the same choice the touch UI makes. A fallback face is
registered only when a form needs it. ReportLab reads a font file whole and keeps it for subsetting (5 MB for the
body font, 40-50 MB for each fallback): each file is given to it as a read-only memory map instead, so only the
pages a subset reads are resident, and they are the page cache's, not the process's heap.
"""
from __future__ import annotations

import functools
import mmap
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from kiosk.errors import KioskError
from kiosk.fonts import CJK_FONT, Face, chain
from kiosk.fonts import missing_glyphs as _chain_missing

_reportlab_to_unicode = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname, subset):
    """ReportLab's ToUnicode CMap writes characters beyond the BMP as 5 hex digits (<2020C>), so text extraction
    and search read 𠈌 as †; a PDF CMap wants UTF-16 (<D840DE0C>). Same CMap, the destinations fixed."""
    cmap = _reportlab_to_unicode(fontname, subset)
    for i, cp in enumerate(subset):
        if cp > 0xFFFF:
            cmap = cmap.replace(f"<{i:02X}> <{cp:04X}>", f"<{i:02X}> <{chr(cp).encode('utf-16-be').hex().upper()}>", 1)
    return cmap


ttfonts.makeToUnicodeCMap = _to_unicode_cmap

class _Metrics:
    """A face's horizontal metrics, (advance, left side bearing) by glyph, in two float arrays: ReportLab's list of
    tuples is ~90 bytes a glyph (4.6 MB for WQY Micro Hei's 49,531), the arrays 16."""

    def __init__(self, metrics):
        self.advance, self.bearing = array("d", (m[0] for m in metrics)), array("d", (m[1] for m in metrics))

    def __getitem__(self, glyph: int) -> tuple[float, float]:
        return self.advance[glyph], self.bearing[glyph]

    def __len__(self) -> int:
        return len(self.advance)


class _Table(Mapping):
    """A read-only int -> number mapping in two sorted arrays: ReportLab's character -> glyph and character -> width
    dicts of a CJK face are about 2.5 MB each (34,600 entries for the body font), these 0.3."""

    def __init__(self, mapping: dict, typecode: str):
        keys = sorted(mapping)
        self._keys, self._values = array("I", keys), array(typecode, (mapping[k] for k in keys))

    def _index(self, key) -> int:
        if isinstance(key, int) and 0 <= key <= 0xFFFFFFFF:
            i = bisect_left(self._keys, key)
            if i < len(self._keys) and self._keys[i] == key:
                return i
        return -1

    def __getitem__(self, key):
        i = self._index(key)
        if i < 0:
            raise KeyError(key)
        return self._values[i]

    def __contains__(self, key) -> bool:
        return self._index(key) >= 0

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _slim(face: TTFont) -> TTFont:
    """Drops what ReportLab keeps of a parsed face but never reads again: the glyph -> characters lists (4.2 MB for
    the body font); packs the metrics (4.3 MB less), the glyph offsets and the character -> glyph and -> width
    tables (about 6 MB less). A face is parsed once per process and kept, so this is paid once and saved for the
    process's life (the form and its subsets are unchanged: tests/form)."""
    info = face.face
    if isinstance(getattr(info, "glyphToChar", None), dict):
        info.glyphToChar = None
    if isinstance(getattr(info, "hmetrics", None), list):
        info.hmetrics = _Metrics(info.hmetrics)
    if isinstance(getattr(info, "glyphPos", None), list):
        info.glyphPos = array("L", info.glyphPos)
    if isinstance(getattr(info, "charToGlyph", None), dict):
        info.charToGlyph = _Table(info.charToGlyph, "I")
    if isinstance(getattr(info, "charWidths", None), dict):
        info.charWidths = _Table(info.charWidths, "d")
    return face


class _Mapped:
    """A font file as ReportLab's parser reads a file object (name, read()), read() giving a read-only memory map:
    it slices and indexes the data as bytes, and every slice is a copy."""

    def __init__(self, path: str):
        self.name = path

    def read(self) -> mmap.mmap:
        with open(self.name, "rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _face(name: str, path: str, index: int = 0) -> TTFont:
    return _slim(TTFont(name, _Mapped(path), subfontIndex=index))


FONT_NAME = "WQYMicroHei"
FONT_PATH = CJK_FONT
_lock = threading.Lock()


@functools.cache
def font() -> TTFont:
    """Registers the body font once per process (ReportLab embeds only the glyphs used: a subset)."""
    try:
        face = _face(FONT_NAME, FONT_PATH)
    except Exception as exc:
        raise KioskError("缺少中文字体，无法生成报名登记表，请联系技术人员",
                         detail=f"cannot load {FONT_PATH}: {exc}") from None
    pdfmetrics.registerFont(face)
    return face


def face_name(face: Face) -> str | None:
    """The ReportLab name of a chain face, registered on first use; None when it cannot be loaded."""
    if face == chain().primary:
        font()
        return FONT_NAME
    name = f"Kiosk-{face.name}"
    with _lock:
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        try:
            pdfmetrics.registerFont(_face(name, face.path, face.index))
        except Exception:  # noqa: BLE001 - a broken fallback file: those characters stay missing
            return None
    return name


def missing_glyphs(*texts: str) -> str:
    """Characters no face of the chain can draw (they print as boxes), in order of first appearance."""
    return _chain_missing(*texts)


def _runs(text: str) -> str:
    """Escaped text with a <font name=...> run for every stretch the body font lacks."""
    out = []
    for face, run in chain().runs(text):
        escaped = escape(run)
        name = face_name(face) if face is not None and face != chain().primary else None
        out.append(f'<font name="{name}">{escaped}</font>' if name else escaped)
    return "".join(out)


def para_text(value) -> str:
    """Plain text -> Paragraph markup: escaped, newlines kept as line breaks, control characters dropped, rare
    characters set in a fallback face."""
    text = "".join(ch for ch in str(value).replace("\t", " ") if ch == "\n" or unicodedata.category(ch)[0] != "C")
    # Paragraph collapses U+3000 like any space; blanks for handwriting need width: three no-break spaces each
    return _runs(text).replace("\n", "<br/>").replace("\u3000", "\u00a0" * 3)


@functools.cache
def style(size: float, align: str = "left", leading_ratio: float = 1.3) -> ParagraphStyle:
    font()
    return ParagraphStyle(f"form-{size}-{align}", fontName=FONT_NAME, fontSize=size, leading=size * leading_ratio,
                          alignment=TA_CENTER if align == "center" else TA_LEFT, wordWrap="CJK")
