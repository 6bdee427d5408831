"""Pinyin input on librime (Debian librime1 + rime-data-luna-pinyin) through ctypes: the adapter behind
kiosk.input.InputEngine. binding: the C API; runtime: librime's process-wide set-up; engine: one input session."""
from .binding import RimeLibrary, RimeLoadError
from .engine import PinyinEngine, self_test
from .runtime import SCHEMA_ID

__all__ = ["PinyinEngine", "RimeLibrary", "RimeLoadError", "SCHEMA_ID", "self_test"]
