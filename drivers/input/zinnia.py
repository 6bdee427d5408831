"""Handwriting recognition: zinnia (Debian libzinnia0) through ctypes with the tegaki Simplified Chinese model
(Debian tegaki-zinnia-simplified-chinese). Strokes in, the best characters out; no header, no compiler.

The model knows the common characters (GB 2312 and a little more), not Ext-A: rare name characters are reached by
the stroke picker (Rime's stroke lookup, ui/keyboard.py) or by pinyin (kiosk.input.rare).
"""
from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from ctypes import c_char_p, c_float, c_int, c_size_t, c_void_p

from kiosk.errors import KioskError

MODEL = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model"
LIBRARY_NAMES = ("libzinnia.so.0", "libzinnia.so")
SIZE = 300  # the square the model's strokes are scaled to

Stroke = Sequence[tuple[float, float]]  # points (x, y), y downwards, in any square box


class HandwritingUnavailable(KioskError):
    def __init__(self, detail: str):
        super().__init__("手写输入无法启动，请用拼音或笔画输入", detail=detail)


_PROTOTYPES = {
    "zinnia_recognizer_new": (c_void_p, []),
    "zinnia_recognizer_destroy": (None, [c_void_p]),
    "zinnia_recognizer_open": (c_int, [c_void_p, c_char_p]),
    "zinnia_recognizer_strerror": (c_char_p, [c_void_p]),
    "zinnia_recognizer_classify": (c_void_p, [c_void_p, c_void_p, c_size_t]),
    "zinnia_character_new": (c_void_p, []),
    "zinnia_character_destroy": (None, [c_void_p]),
    "zinnia_character_set_width": (None, [c_void_p, c_size_t]),
    "zinnia_character_set_height": (None, [c_void_p, c_size_t]),
    "zinnia_character_add": (c_int, [c_void_p, c_size_t, c_int, c_int]),
    "zinnia_result_value": (c_char_p, [c_void_p, c_size_t]),
    "zinnia_result_score": (c_float, [c_void_p, c_size_t]),
    "zinnia_result_size": (c_size_t, [c_void_p]),
    "zinnia_result_destroy": (None, [c_void_p]),
}


def _load(path: str | None):
    errors = []
    for name in ([path] if path else LIBRARY_NAMES):
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            errors.append(f"{name}: {exc}")
            continue
        for fn, (restype, argtypes) in _PROTOTYPES.items():
            try:
                proto = getattr(lib, fn)
            except AttributeError:
                raise HandwritingUnavailable(f"{name} lacks {fn}") from None
            proto.restype, proto.argtypes = restype, argtypes
        return lib
    raise HandwritingUnavailable("libzinnia not found (install libzinnia0): " + "; ".join(errors))


class Recognizer:
    """One loaded model (~27 MB, read once); classify() may be called from any thread (one at a time)."""

    def __init__(self, model: str = MODEL, *, library: str | None = None):
        self._lib = _load(library)
        self._recognizer = self._lib.zinnia_recognizer_new()
        if not self._lib.zinnia_recognizer_open(self._recognizer, model.encode()):
            detail = (self._lib.zinnia_recognizer_strerror(self._recognizer) or b"").decode(errors="replace")
            self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None
            raise HandwritingUnavailable(f"cannot open {model} (install tegaki-zinnia-simplified-chinese): {detail}")
        self._lock = threading.Lock()

    def classify(self, strokes: Sequence[Stroke], box: tuple[float, float], best: int = 10) -> list[tuple[str, float]]:
        """The `best` characters for the strokes drawn in a box of `box` (width, height), best first, with
        zinnia's scores. No strokes: no candidates."""
        strokes = [s for s in strokes if s]
        if not strokes or self._recognizer is None:
            return []
        width, height = (max(1.0, float(v)) for v in box)
        scale = SIZE / max(width, height)
        lib = self._lib
        with self._lock:
            character = lib.zinnia_character_new()
            try:
                lib.zinnia_character_set_width(character, SIZE)
                lib.zinnia_character_set_height(character, SIZE)
                for stroke_id, stroke in enumerate(strokes[:64]):  # bounded: no character has 64 strokes
                    for x, y in stroke[:512]:
                        lib.zinnia_character_add(character, stroke_id, int(x * scale), int(y * scale))
                result = lib.zinnia_recognizer_classify(self._recognizer, character, best)
                if not result:
                    return []
                try:
                    return [(lib.zinnia_result_value(result, i).decode("utf-8", "replace"),
                             float(lib.zinnia_result_score(result, i))) for i in range(lib.zinnia_result_size(result))]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(character)

    def close(self) -> None:
        if self._recognizer is not None:
            self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
