"""The keyboard's building blocks: a key, the candidate bar, colours and sizes (ui/keyboard.py arranges them).

Every text a key shows goes through ui.glyphs.set_text, so a rare candidate (䶮, 𫗭) is drawn by a fallback face
instead of a box; `value` keeps the plain text.
"""
from __future__ import annotations

import functools
import logging
import os

from kivy.properties import ColorProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.fonts import CJK_FONT

from .glyphs import set_text
from .theme import px

log = logging.getLogger(__name__)

FONT = CJK_FONT
MIN_TOUCH = 60  # px: no key or candidate is smaller than this either way
KEY_HEIGHT = 76  # design px (ui.theme.px): every size here scales with the panel
SPACING = 8

PREV_PAGE = "◀"
NEXT_PAGE = "▶"
V_HINT = "ü 请按 v 输入"  # shown in the candidate bar in 中 mode while nothing is composed (lv -> 吕)

KEY_BG = (1, 1, 1, 1)
KEY_BG_DOWN = (0.75, 0.82, 0.95, 1)
FIRST_BG = (0.88, 0.93, 1, 1)
FUNC_BG = (0.80, 0.83, 0.88, 1)
CONFIRM_BG = (0.10, 0.45, 0.85, 1)
BOARD_BG = (0.86, 0.88, 0.91, 1)
TEXT = (0.08, 0.08, 0.1, 1)
HINT = (0.25, 0.30, 0.40, 1)  # 8.7:1 on BOARD_BG


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
    value = StringProperty("")  # the plain text shown (label markup aside)
    bg = ColorProperty(KEY_BG)

    def __init__(self, label: str, key: str, bg=KEY_BG, **kwargs):
        kwargs.setdefault("font_size", px(30))
        super().__init__(font_name=font_name(), background_normal="", background_down="",
                         background_disabled_normal="", color=TEXT if bg != CONFIRM_BG else (1, 1, 1, 1),
                         **kwargs)
        self.key = key
        self.show(label)
        self.bg = bg
        self.bind(state=self._paint, bg=self._paint, disabled=self._paint)
        self._paint()

    def show(self, text: str) -> None:
        self.value = text
        set_text(self, text)

    def _paint(self, *_):
        if self.disabled:
            self.background_color = (0.9, 0.9, 0.9, 1)
        elif self.state == "down":
            self.background_color = KEY_BG_DOWN if self.bg != CONFIRM_BG else (0.05, 0.3, 0.6, 1)
        else:
            self.background_color = self.bg


class CandidateBar(BoxLayout):
    """Composition (left), the candidates of the current page (scrollable when long), page buttons (right).
    on_choose(index) and on_page(step) are called by taps."""

    def __init__(self, on_choose, on_page, **kwargs):
        super().__init__(orientation="horizontal", size_hint_y=None, height=px(KEY_HEIGHT), spacing=px(SPACING),
                         **kwargs)
        self.on_choose = on_choose
        self.preedit = Label(text="", font_name=font_name(), font_size=px(24), color=HINT,
                             size_hint_x=None, width=px(220), halign="left", valign="middle", shorten=True,
                             shorten_from="left")
        self.preedit.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.scroll = ScrollView(do_scroll_y=False, do_scroll_x=True, bar_width=px(4))
        self.row = BoxLayout(orientation="horizontal", size_hint=(None, 1), spacing=px(SPACING))
        self.row.bind(minimum_width=self.row.setter("width"))
        self.scroll.add_widget(self.row)
        self.prev = Key(PREV_PAGE, "page_up", bg=FUNC_BG, size_hint_x=None, width=px(MIN_TOUCH + 12))
        self.next = Key(NEXT_PAGE, "page_down", bg=FUNC_BG, size_hint_x=None, width=px(MIN_TOUCH + 12))
        self.prev.bind(on_release=lambda *_: on_page(-1))
        self.next.bind(on_release=lambda *_: on_page(+1))
        for w in (self.preedit, self.scroll, self.prev, self.next):
            self.add_widget(w)
        self.candidates: list[Key] = []
        self.show(None)

    def show(self, state, hint: str = "") -> None:
        """state: an InputState (None: nothing composed, `hint` shown instead), or a tuple of candidate texts."""
        self.row.clear_widgets()
        self.candidates = []
        if isinstance(state, tuple):  # plain candidates (handwriting): no composition, no paging
            texts, highlighted = state, 0
            set_text(self.preedit, "" if texts else hint)
            paging = False
        else:
            composing = state is not None and state.composing
            texts = state.candidates if composing else ()
            highlighted = state.highlighted if composing else -1
            set_text(self.preedit, state.preedit if composing else hint)
            paging = composing
        self.prev.disabled = not paging or state.page_no == 0
        self.next.disabled = not paging or state.is_last_page
        self.prev.opacity = self.next.opacity = 1 if paging else 0
        for i, text in enumerate(texts):
            # The first candidate is what 空格 would pick: tinted.
            key = Key(text, f"candidate:{i}", bg=FIRST_BG if i == highlighted else KEY_BG, size_hint_x=None,
                      font_size=px(32))
            key.texture_update()
            key.width = max(px(MIN_TOUCH + 20), key.texture_size[0] + px(36))
            key.bind(on_release=lambda btn, i=i: self.on_choose(i))
            self.row.add_widget(key)
            self.candidates.append(key)
        self.scroll.scroll_x = 0
