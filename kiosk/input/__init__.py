"""Text input for the on-screen keyboard, UI-free: the engine Protocol, its state, the rules for a page of
candidates, the rare name character table. The librime adapter is drivers.input.rime; the keyboard is ui/keyboard.py."""
from kiosk.input.engine import (
    RARE_SLOT, InputEngine, InputState, PinyinUnavailable, arrange, normalize_code, phrases_text, unconverted,
)

__all__ = ["RARE_SLOT", "InputEngine", "InputState", "PinyinUnavailable", "arrange", "normalize_code",
           "phrases_text", "unconverted"]
