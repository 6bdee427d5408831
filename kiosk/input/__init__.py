"""Text input for the on-screen keyboard: the pinyin engine (Rime through ctypes). No Kivy here."""
from kiosk.input.pinyin import InputState, PinyinEngine, PinyinUnavailable, normalize_code, phrases_text, self_test

__all__ = ["InputState", "PinyinEngine", "PinyinUnavailable", "normalize_code", "phrases_text", "self_test"]
