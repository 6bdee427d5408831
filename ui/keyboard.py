"""The kiosk's on-screen keyboard: QWERTY with pinyin (中) and letters (英), and a numeric pad.

It edits one TextInput at a time (set_target) and never asks for the system keyboard. In 中 mode letters go to
a kiosk.input.InputEngine (drivers.input.rime.PinyinEngine) and a candidate bar above the keys shows the composition and the candidates; a tap on
a candidate inserts it. When the pinyin engine cannot start (librime missing), the keyboard still types letters
and digits and the 中 key is disabled; `pinyin_error` holds the KioskError for the self-test.

Keys act on release (a finger sliding off a key cancels it). 确定 while composing inserts the letters as typed
(as phone keyboards do); otherwise it fires on_confirm(target). Space while composing picks the first candidate.
"""
from __future__ import annotations

import functools
import logging
import os

from kivy.graphics import Color, Rectangle
from kivy.properties import (
    BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.errors import KioskError
from kiosk.fonts import CJK_FONT

log = logging.getLogger(__name__)

FONT = CJK_FONT
MIN_TOUCH = 60  # px: no key or candidate is smaller than this either way
KEY_HEIGHT = 76
SPACING = 8

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGITS = "1234567890"

# Labels (Simplified Chinese on the kiosk).
BACKSPACE = "删除"  # U+232B is not in WQY MicroHei (it showed as a box)
CONFIRM = "确定"
SPACE = "空格"
MODE_ZH = "中"
MODE_EN = "英"
CAPS = "大写"
PREV_PAGE = "◀"
NEXT_PAGE = "▶"

KEY_BG = (1, 1, 1, 1)
KEY_BG_DOWN = (0.75, 0.82, 0.95, 1)
FIRST_BG = (0.88, 0.93, 1, 1)
FUNC_BG = (0.80, 0.83, 0.88, 1)
CONFIRM_BG = (0.10, 0.45, 0.85, 1)
BOARD_BG = (0.86, 0.88, 0.91, 1)
TEXT = (0.08, 0.08, 0.1, 1)


@functools.cache
def font_name() -> str:
    """Checked once per process, not once per key."""
    if os.path.exists(FONT):
        return FONT
    log.warning("CJK font missing: %s (install fonts-wqy-microhei); Chinese will show as boxes", FONT)
    return "Roboto"


class Key(Button):
    """One key: flat colour, darker while pressed, the CJK font, never smaller than MIN_TOUCH."""

    key = StringProperty("")  # what the key means: a character, or a name like "backspace"
    bg = ColorProperty(KEY_BG)

    def __init__(self, label: str, key: str, bg=KEY_BG, **kwargs):
        kwargs.setdefault("font_size", 30)
        super().__init__(text=label, font_name=font_name(), background_normal="", background_down="",
                         background_disabled_normal="", color=TEXT if bg != CONFIRM_BG else (1, 1, 1, 1),
                         **kwargs)
        self.key = key
        self.bg = bg
        self.bind(state=self._paint, bg=self._paint, disabled=self._paint)
        self._paint()

    def _paint(self, *_):
        if self.disabled:
            self.background_color = (0.9, 0.9, 0.9, 1)
        elif self.state == "down":
            self.background_color = KEY_BG_DOWN if self.bg != CONFIRM_BG else (0.05, 0.3, 0.6, 1)
        else:
            self.background_color = self.bg


class CandidateBar(BoxLayout):
    """Composition (left), the candidates of the current page (scrollable when long), page buttons (right)."""

    def __init__(self, keyboard: "OnScreenKeyboard", **kwargs):
        super().__init__(orientation="horizontal", size_hint_y=None, height=KEY_HEIGHT, spacing=SPACING, **kwargs)
        self.keyboard = keyboard
        self.preedit = Label(text="", font_name=font_name(), font_size=24, color=(0.2, 0.3, 0.5, 1),
                             size_hint_x=None, width=220, halign="left", valign="middle", shorten=True,
                             shorten_from="left")
        self.preedit.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.scroll = ScrollView(do_scroll_y=False, do_scroll_x=True, bar_width=4)
        self.row = BoxLayout(orientation="horizontal", size_hint=(None, 1), spacing=SPACING)
        self.row.bind(minimum_width=self.row.setter("width"))
        self.scroll.add_widget(self.row)
        self.prev = Key(PREV_PAGE, "page_up", bg=FUNC_BG, size_hint_x=None, width=MIN_TOUCH + 12)
        self.next = Key(NEXT_PAGE, "page_down", bg=FUNC_BG, size_hint_x=None, width=MIN_TOUCH + 12)
        self.prev.bind(on_release=lambda *_: keyboard.page(-1))
        self.next.bind(on_release=lambda *_: keyboard.page(+1))
        for w in (self.preedit, self.scroll, self.prev, self.next):
            self.add_widget(w)
        self.candidates: list[Key] = []
        self.show(None)

    def show(self, state) -> None:
        self.row.clear_widgets()
        self.candidates = []
        composing = state is not None and state.composing
        self.preedit.text = state.preedit if composing else ""
        self.prev.disabled = not composing or state.page_no == 0
        self.next.disabled = not composing or state.is_last_page
        self.prev.opacity = self.next.opacity = 1 if composing else 0
        if not composing:
            return
        for i, text in enumerate(state.candidates):
            # The first candidate is what 空格 would pick: tinted.
            key = Key(text, f"candidate:{i}", bg=FIRST_BG if i == state.highlighted else KEY_BG, size_hint_x=None,
                      font_size=32)
            key.texture_update()
            key.width = max(MIN_TOUCH + 20, key.texture_size[0] + 36)
            key.bind(on_release=lambda btn, i=i: self.keyboard.choose(i))
            self.row.add_widget(key)
            self.candidates.append(key)
        self.scroll.scroll_x = 0


class OnScreenKeyboard(BoxLayout):
    """The keyboard. layout: "text" (QWERTY, 中/英), "numeric" (phone numbers), "id" (digits and X)."""

    layout = OptionProperty("text", options=["text", "numeric", "id"])
    mode = OptionProperty("zh", options=["zh", "en"])
    caps = BooleanProperty(False)
    target = ObjectProperty(None, allownone=True)
    pinyin_available = BooleanProperty(False)
    key_height = NumericProperty(KEY_HEIGHT)

    __events__ = ("on_confirm",)

    def __init__(self, engine=None, layout: str = "text", **kwargs):
        """engine: a PinyinEngine, None to start one, or False for no pinyin at all."""
        super().__init__(orientation="vertical", spacing=SPACING, padding=SPACING, size_hint_y=None, **kwargs)
        self.pinyin_error: KioskError | None = None
        if engine is None:
            try:
                from drivers.input.rime import PinyinEngine

                engine = PinyinEngine()
            except KioskError as exc:
                log.error("pinyin unavailable: %s", exc.detail)
                self.pinyin_error = exc
                engine = False
        self.engine = engine or None
        self.pinyin_available = self.engine is not None
        if not self.pinyin_available:
            self.mode = "en"
        with self.canvas.before:
            Color(*BOARD_BG)
            self._bg = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=self._update_bg, size=self._update_bg)
        self.keys: dict[str, Key] = {}
        self.bar = CandidateBar(self)
        self.layout = layout
        self._build()
        self.bind(layout=lambda *_: self._build(), mode=lambda *_: self._refresh_labels(),
                  caps=lambda *_: self._refresh_labels())

    # -- building --------------------------------------------------------------------------------------
    def _update_bg(self, *_):
        self._bg.pos, self._bg.size = self.pos, self.size

    def _row(self, items, side_pad: float = 0.0) -> BoxLayout:
        """items: (label, key, weight, bg). Weights share the width; side_pad keeps shorter rows' keys the
        same width as a full row's by padding both ends."""
        row = BoxLayout(orientation="horizontal", spacing=SPACING, size_hint_y=None, height=self.key_height)
        if side_pad:
            row.add_widget(Widget(size_hint_x=side_pad))
        for label, key, weight, bg in items:
            button = Key(label, key, bg=bg, size_hint_x=weight)
            button.bind(on_release=self._on_key)
            row.add_widget(button)
            self.keys[key] = button
        if side_pad:
            row.add_widget(Widget(size_hint_x=side_pad))
        return row

    def _build(self) -> None:
        self.clear_widgets()
        self.keys = {}
        self._clear_composition()
        rows = []
        if self.layout == "text":
            self.add_widget(self.bar)
            rows.append(self._row([(d, d, 1, KEY_BG) for d in DIGITS], side_pad=0.75))
            rows.append(self._row([(c, c, 1, KEY_BG) for c in LETTER_ROWS[0]] + [("·", "·", 1, KEY_BG)],
                                  side_pad=0.25))
            rows.append(self._row([(c, c, 1, KEY_BG) for c in LETTER_ROWS[1]] + [("-", "-", 1, KEY_BG)],
                                  side_pad=0.75))
            rows.append(self._row([(CAPS, "caps", 1.5, FUNC_BG)] + [(c, c, 1, KEY_BG) for c in LETTER_ROWS[2]]
                                  + [(BACKSPACE, "backspace", 1.5, FUNC_BG)], side_pad=0.75))
            rows.append(self._row([(MODE_ZH, "mode", 1.5, FUNC_BG), (SPACE, "space", 6, KEY_BG),
                                   (CONFIRM, "confirm", 2.5, CONFIRM_BG)], side_pad=0.75))
        else:
            last = "X" if self.layout == "id" else ""
            for triple in ("123", "456", "789"):
                rows.append(self._row([(d, d, 1, KEY_BG) for d in triple], side_pad=0.6))
            bottom = [(last, last, 1, KEY_BG)] if last else [("", "blank", 1, BOARD_BG)]
            rows.append(self._row(bottom + [("0", "0", 1, KEY_BG), (BACKSPACE, "backspace", 1, FUNC_BG)],
                                  side_pad=0.6))
            rows.append(self._row([(CONFIRM, "confirm", 3, CONFIRM_BG)], side_pad=0.6))
            if "blank" in self.keys:
                self.keys["blank"].disabled = True
                self.keys["blank"].opacity = 0
        for row in rows:
            self.add_widget(row)
        bar = KEY_HEIGHT + SPACING if self.layout == "text" else 0
        self.height = len(rows) * (self.key_height + SPACING) + SPACING + bar
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        mode_key = self.keys.get("mode")
        if mode_key is not None:
            # The key shows the current mode; tapping switches. Without Rime it stays 英 and is disabled.
            on, off = (MODE_ZH, MODE_EN) if self.mode == "zh" else (MODE_EN, MODE_ZH)
            mode_key.markup = True
            mode_key.text = f"[b]{on}[/b][size=20][color=6b7280] /{off}[/color][/size]"
            mode_key.disabled = not self.pinyin_available
        caps_key = self.keys.get("caps")
        if caps_key is not None:
            caps_key.disabled = self.mode == "zh"
            caps_key.bg = CONFIRM_BG if (self.caps and self.mode == "en") else FUNC_BG
            caps_key.color = (1, 1, 1, 1) if caps_key.bg == CONFIRM_BG else TEXT
        upper = self.mode == "en" and self.caps
        for row in LETTER_ROWS:
            for c in row:
                if c in self.keys:
                    self.keys[c].text = c.upper() if upper else c
        space = self.keys.get("space")
        if space is not None:
            space.text = SPACE

    # -- target ----------------------------------------------------------------------------------------
    def set_target(self, widget, layout: str | None = None) -> None:
        """Edit this TextInput from now on (None: edit nothing). Any unfinished composition is dropped."""
        self._clear_composition()
        if layout is not None:
            self.layout = layout
        previous, self.target = self.target, widget
        if previous is not None and previous is not widget:
            previous.focus = False  # managed fields never unfocus each other: one cursor at a time
        if widget is not None:
            widget.keyboard_mode = "managed"  # focusing it never requests the system keyboard
            widget.unfocus_on_touch = False  # taps on our keys keep its cursor
            if hasattr(widget, "use_bubble"):
                widget.use_bubble = False
                widget.use_handles = False
            widget.focus = True

    def reset(self) -> None:
        """Between students: drop the composition and the pinyin session, back to 中."""
        if self.engine is not None:
            self.engine.reset()
        self.caps = False
        self.mode = "zh" if self.pinyin_available else "en"
        self.bar.show(None)

    # -- actions ---------------------------------------------------------------------------------------
    def _on_key(self, button: Key) -> None:
        self.press(button.key)

    def press(self, key: str) -> None:
        """Act as if `key` was tapped (the names used in self.keys)."""
        composing = self._composing()
        if key == "backspace":
            if composing:
                self.engine.backspace()
            elif self.target is not None:
                self.target.do_backspace()
        elif key == "mode":
            if self.pinyin_available:
                self._commit_composition()
                self.mode = "en" if self.mode == "zh" else "zh"
        elif key == "caps":
            self.caps = not self.caps
        elif key == "space":
            if composing:
                self._insert(self.engine.type(" "))
            else:
                self._insert(" ")
        elif key == "confirm":
            if composing:
                self._insert(self.engine.commit_raw())
            else:
                self.dispatch("on_confirm", self.target)
        elif len(key) == 1 and key.isascii() and key.isalpha() and self.layout == "text":
            if self.mode == "zh" and self.engine is not None:
                self._insert(self.engine.type(key))
            else:
                self._insert(key.upper() if self.caps else key)
        elif len(key) == 1:
            self._commit_composition()
            self._insert(key)
        self._show()

    def choose(self, index: int) -> None:
        if not self._composing():
            return
        self._insert(self.engine.select(index))
        self._show()

    def page(self, step: int) -> None:
        if self._composing():
            self.engine.page_down() if step > 0 else self.engine.page_up()
            self._show()

    def on_confirm(self, target) -> None:
        pass

    # -- helpers ---------------------------------------------------------------------------------------
    def _composing(self) -> bool:
        return self.engine is not None and self.mode == "zh" and self.engine.composing

    def _commit_composition(self) -> None:
        if self._composing():
            self._insert(self.engine.commit())

    def _clear_composition(self) -> None:
        if self.engine is not None and self.engine.composing:
            self.engine.clear()
        if self.bar is not None:
            self.bar.show(None)

    def _insert(self, text: str) -> None:
        if text and self.target is not None:
            self.target.insert_text(text)

    def _show(self) -> None:
        if self.layout != "text":
            return
        self.bar.show(self.engine.state if self._composing() else None)

    @property
    def candidate_keys(self) -> list[Key]:
        return list(self.bar.candidates)
