"""The CJK fonts every surface uses (the printed form, the touch UI, simulated card images) and their fallback chain.

The primary face is WenQuanYi Micro Hei (Debian fonts-wqy-microhei): TrueType, so ReportLab can embed a subset of
it (Noto CJK is CFF and cannot be embedded), and face 0 of the .ttc is the Chinese face Kivy opens. It lacks CJK
Ext-A and beyond (䶮 in 刘䶮 drew as a box), so rare name characters fall back, character by character, to:

- HanaMin A (fonts-hanazono): URO and all of Ext-A, part of Ext-B;
- HanaMin B (fonts-hanazono): Ext-B to Ext-F;
- BabelStone Han (fonts-babelstone-han): what is left, Ext-G included.

All are TrueType (glyf outlines): ReportLab embeds subsets of each, Kivy's SDL2 provider opens them. A face whose
file is missing is skipped. Coverage comes from each face's cmap (fontTools), read only when a character is not in
the faces before it, and kept as a bitmap (25 KB a face) instead of a set of ~60,000 ints.

Nothing here imports Kivy or ReportLab: ui/glyphs.py and kiosk/form/fonts.py turn runs into markup.
"""
from __future__ import annotations

import functools
import gc
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

CJK_FONT = os.environ.get("KIOSK_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

FALLBACK_FONTS = tuple(p for p in os.environ.get("KIOSK_FALLBACK_FONTS", ":".join((
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf",
))).split(":") if p)

_PLANES = 0x40000  # code points below U+40000 (BMP to the Tertiary Ideographic Plane)


@dataclass(frozen=True)
class Face:
    path: str
    index: int = 0  # face number inside a .ttc (Kivy only opens face 0)

    @property
    def name(self) -> str:
        """A short name, e.g. for ReportLab's font registry: 'wqy-microhei', 'HanaMinA'."""
        return os.path.splitext(os.path.basename(self.path))[0]


class Coverage:
    """The code points one face maps, as a bitmap; loaded on first use."""

    def __init__(self, face: Face):
        self.face = face
        self._bits: bytearray | None = None
        self._lock = threading.Lock()

    def _load(self) -> bytearray:
        from fontTools.ttLib import TTFont

        bits = bytearray(_PLANES // 8)
        try:
            font = TTFont(self.face.path, fontNumber=self.face.index, lazy=True)
            try:
                for cp in (font.getBestCmap() or {}):
                    if cp < _PLANES:
                        bits[cp >> 3] |= 1 << (cp & 7)
            finally:
                font.close()
                del font
        except Exception as exc:  # noqa: BLE001 - a broken font file covers nothing; the next face is tried
            log.warning("font unreadable, skipped: %s (%s)", self.face.path, exc)
        gc.collect()  # fontTools' tables are cycles: ~20 MB of glyph names otherwise wait for the collector
        return bits

    def fill(self, bits: bytes) -> None:
        with self._lock:
            if self._bits is None and len(bits) == _PLANES // 8:
                self._bits = bytearray(bits)

    def bits(self) -> bytearray:
        if self._bits is None:
            with self._lock:
                if self._bits is None:
                    self._bits = self._load()
        return self._bits

    def __contains__(self, ch: str) -> bool:
        cp = ord(ch)
        return cp < _PLANES and bool(self.bits()[cp >> 3] >> (cp & 7) & 1)


def _blank(ch: str) -> bool:
    """Whitespace and control characters draw nothing: never a reason to fall back or to call a text undrawable."""
    return ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0


class FontChain:
    """Faces in order of preference; each character is drawn in the first face that has it."""

    def __init__(self, faces: tuple[Face, ...]):
        self.faces = tuple(f for f in faces if os.path.isfile(f.path))
        missing = [f.path for f in faces if f not in self.faces]
        if missing:
            log.warning("fonts missing (rare characters may show as boxes): %s", ", ".join(missing))
        self._coverage = {f: Coverage(f) for f in self.faces}

    @property
    def primary(self) -> Face | None:
        return self.faces[0] if self.faces else None

    def preload(self) -> None:
        """Read every face's cmap now, e.g. on a background thread at start, so that the first rare candidate does
        not wait for it. The cmaps are parsed in a child process (0.5 s for the four faces): fontTools' tables
        would otherwise leave ~20 MB of this process's heap fragmented; only the 32 KB bitmaps come back."""
        pending = [f for f, c in self._coverage.items() if c._bits is None]
        if not pending:
            return
        size = _PLANES // 8
        try:
            out = subprocess.run([sys.executable, "-m", "kiosk.fonts", *(f"{f.index}:{f.path}" for f in pending)],
                                 capture_output=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("font cmaps read in-process (%s)", exc)
            out = b""
        if len(out) == size * len(pending):
            for i, face in enumerate(pending):
                self._coverage[face].fill(out[i * size:(i + 1) * size])
        for coverage in self._coverage.values():
            coverage.bits()

    def covers(self, face: Face, ch: str) -> bool:
        return _blank(ch) or ch in self._coverage[face]

    def face_for(self, ch: str) -> Face | None:
        """The first face that draws `ch`; None when none does. Blank characters belong to the primary face."""
        if _blank(ch):
            return self.primary
        for face in self.faces:
            if ch in self._coverage[face]:
                return face
        return None

    def runs(self, text: str) -> Iterator[tuple[Face | None, str]]:
        """Split text into (face, substring) runs; face None for characters no face can draw."""
        current, start = None, 0
        for i, ch in enumerate(text):
            face = current if (i and _blank(ch)) else self.face_for(ch)
            if i and face != current:
                yield current, text[start:i]
                start = i
            current = face
        if text:
            yield current, text[start:]

    def missing(self, *texts: str) -> str:
        """Characters no face can draw (they would show as boxes), in order of first appearance."""
        seen: dict[str, None] = {}
        for text in texts:
            for ch in text:
                if ch not in seen and self.face_for(ch) is None:
                    seen[ch] = None
        return "".join(seen)

    def drawable(self, text: str) -> bool:
        return all(self.face_for(ch) is not None for ch in text)

    def single_face(self, text: str) -> Face | None:
        """The first face that draws all of `text` alone (for widgets limited to one font, like a text input);
        None when no single face does."""
        for face in self.faces:
            if all(self.covers(face, ch) for ch in text):
                return face
        return None


@functools.cache
def chain() -> FontChain:
    """The process-wide chain: the primary CJK font, then the fallbacks."""
    return FontChain((Face(CJK_FONT, 0), *(Face(p) for p in FALLBACK_FONTS)))


def drawable(text: str) -> bool:
    """True when every character of `text` can be drawn by some face of the chain (no box)."""
    return chain().drawable(text)


def missing_glyphs(*texts: str) -> str:
    """Characters no face of the chain can draw, in order of first appearance."""
    return chain().missing(*texts)


def missing_in(path: str, text: str, index: int = 0) -> str:
    """Characters of `text` that the one font file at `path` lacks (for checking a widget's own font)."""
    face = Face(path, index)
    cov = _coverage_of(face)
    return "".join(dict.fromkeys(ch for ch in text if not (_blank(ch) or ch in cov)))


@functools.cache
def _coverage_of(face: Face) -> Coverage:
    for known in chain().faces:
        if known == face:
            return chain()._coverage[known]
    return Coverage(face)


if __name__ == "__main__":  # FontChain.preload's child: "index:path" arguments -> one bitmap each on stdout
    for arg in sys.argv[1:]:
        number, _, font_path = arg.partition(":")
        sys.stdout.buffer.write(Coverage(Face(font_path, int(number)))._load())
