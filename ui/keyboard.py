"""The kiosk's on-screen keyboard: QWERTY with pinyin (中) and letters (英), a stroke picker (笔画), a handwriting
pad (手写), and numeric pads for phone numbers, dates and ID numbers (ui/pads.py).

It edits one TextInput at a time (set_target) and never asks for the system keyboard. In 中 mode letters go to a
kiosk.input.InputEngine (drivers.input.rime.PinyinEngine) and a candidate bar above the keys shows the composition
and the candidates; a tap on a candidate inserts it. The stroke picker types Rime's stroke codes (一丨丿丶乙 =
hspnz after a backquote), which reach every character of the stroke dictionary, Ext-A and B included (䶮). When
the pinyin engine cannot start (librime missing), the keyboard still types letters and digits and the 中 and 笔画
keys are disabled; `pinyin_error` holds the KioskError for the self-test.

Keys act on release (a finger sliding off a key cancels it). 确定 while composing inserts the letters as typed
(as phone keyboards do); otherwise it fires on_confirm(target). Space while composing picks the first candidate.
Every field it edits keeps a font able to draw its text (ui.glyphs.fit_input).
"""
from __future__ import annotations

import logging
import threading

from kivy.graphics import Color, Rectangle
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, OptionProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.errors import KioskError
from kiosk.fonts import chain

from . import pads
from .glyphs import fit_input
from .keys import (  # noqa: F401 - FONT and MIN_TOUCH are part of the keyboard's interface
    BOARD_BG, CONFIRM_BG, FONT, FUNC_BG, HINT, KEY_BG, KEY_HEIGHT, MIN_TOUCH, SPACING, TEXT, V_HINT, CandidateBar,
    Key, font_name,
)
from .pads import BACKSPACE, CONFIRM
from .theme import px

log = logging.getLogger(__name__)

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGITS = "1234567890"
STROKES = (("一", "h"), ("丨", "s"), ("丿", "p"), ("丶", "n"), ("乙", "z"))  # Rime's stroke codes, 横竖撇点折
STROKE_PREFIX = "`"  # luna_pinyin's reverse-lookup prefix for the stroke dictionary
PAD_HEIGHT = 4  # the handwriting pad is this many key rows tall

SPACE = "空格"
MODE_ZH = "中"
MODE_EN = "英"
CAPS = "大写"
STROKE_KEY = "笔画"
HANDWRITING_KEY = "手写"
BACK_KEY = "拼音"
REWRITE = "重写"
STROKE_HINT = "按笔顺点笔画，如 䶮：一丿乙丶丿一…"
HANDWRITING_HINT = "在方格内写一个字"

LAYOUTS = ("text", "strokes", "handwriting", *pads.PADS)


class OnScreenKeyboard(BoxLayout):
    """The keyboard. layout: "text" (QWERTY, 中/英), "strokes", "handwriting", or a numeric pad: "numeric"
    (digits), "phone" (digits and -), "id" (digits and X), "month" (YYYY-MM), "date" (YYYY-MM-DD)."""

    layout = OptionProperty("text", options=list(LAYOUTS))
    mode = OptionProperty("zh", options=["zh", "en"])
    caps = BooleanProperty(False)
    target = ObjectProperty(None, allownone=True)
    pinyin_available = BooleanProperty(False)
    key_height = NumericProperty(KEY_HEIGHT)  # window px (the host passes px(64)); the rest scales with px()

    __events__ = ("on_confirm",)

    def __init__(self, engine=None, layout: str = "text", **kwargs):
        """engine: an InputEngine, None to start the Rime one, or False for no pinyin at all."""
        super().__init__(orientation="vertical", spacing=px(SPACING), padding=px(SPACING), size_hint_y=None, **kwargs)
        self.pinyin_error: KioskError | None = None
        threading.Thread(target=chain().preload, name="font-cmaps", daemon=True).start()
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
        self.bar = CandidateBar(self.choose, self.page)
        self.pad = None  # the HandwritingPad, made on first use
        self.caption: Label | None = None
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
        row = BoxLayout(orientation="horizontal", spacing=px(SPACING), size_hint_y=None, height=self.key_height)
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
        if self.pad is not None:
            self.pad.clear()
        rows = []
        bar = self.layout in ("text", "strokes", "handwriting")
        if bar:
            self.add_widget(self.bar)
        if self.layout == "text":
            rows.append(self._row([(d, d, 1, KEY_BG) for d in DIGITS], side_pad=0.75))
            rows.append(self._row([(c, c, 1, KEY_BG) for c in LETTER_ROWS[0]] + [("·", "·", 1, KEY_BG)],
                                  side_pad=0.25))
            rows.append(self._row([(c, c, 1, KEY_BG) for c in LETTER_ROWS[1]] + [("-", "-", 1, KEY_BG)],
                                  side_pad=0.75))
            rows.append(self._row([(CAPS, "caps", 1.5, FUNC_BG)] + [(c, c, 1, KEY_BG) for c in LETTER_ROWS[2]]
                                  + [(BACKSPACE, "backspace", 1.5, FUNC_BG)], side_pad=0.75))
            rows.append(self._row([(MODE_ZH, "mode", 1.5, FUNC_BG), (STROKE_KEY, "strokes", 1.5, FUNC_BG),
                                   (HANDWRITING_KEY, "handwriting", 1.5, FUNC_BG), (SPACE, "space", 4, KEY_BG),
                                   (CONFIRM, "confirm", 2, CONFIRM_BG)], side_pad=0.75))
        elif self.layout == "strokes":
            rows.append(self._row([(label, f"stroke:{code}", 1, KEY_BG) for label, code in STROKES], side_pad=0.5))
            rows.append(self._row(self._back_row(), side_pad=0.5))
        elif self.layout == "handwriting":
            rows.append(self._handwriting_pad())
            rows.append(self._row(self._back_row((REWRITE, "rewrite", 1, FUNC_BG)), side_pad=0.5))
        else:
            rows += self._numeric_rows()
        for row in rows:
            self.add_widget(row)
        gap = px(SPACING)
        self.height = sum(r.height + gap for r in rows) + gap + (self.bar.height + gap if bar else 0)
        self._refresh_labels()
        self._show()

    @staticmethod
    def _back_row(*extra):
        return [(BACK_KEY, "keyboard", 1.5, FUNC_BG), *extra, (BACKSPACE, "backspace", 1.5, FUNC_BG),
                (CONFIRM, "confirm", 2, CONFIRM_BG)]

    def _handwriting_pad(self) -> Widget:
        from .handwriting import HandwritingPad

        if self.pad is None:
            self.pad = HandwritingPad(size_hint=(None, None))
            self.pad.bind(on_candidates=lambda _pad, texts: self.bar.show(texts, HANDWRITING_HINT))
        elif self.pad.parent is not None:  # the holder of the last time the pad was shown
            self.pad.parent.remove_widget(self.pad)
        holder = BoxLayout(size_hint_y=None, height=PAD_HEIGHT * (self.key_height + px(SPACING)))
        self.pad.size = (holder.height, holder.height)
        holder.add_widget(Widget())
        holder.add_widget(self.pad)
        holder.add_widget(Widget())
        return holder

    def _numeric_rows(self) -> list:
        rows = []
        caption = pads.CAPTION.get(self.layout, "")
        if caption:
            self.caption = Label(text=caption, font_name=font_name(), font_size=px(22), color=HINT,
                                 size_hint_y=None, height=px(36))
            rows.append(self.caption)
        for i, row in enumerate(pads.rows(self.layout)):
            bg = CONFIRM_BG if row[0][1] == "confirm" else None
            items = [(label, key, weight, bg or (FUNC_BG if key == "backspace" else KEY_BG))
                     for label, key, weight in row]
            rows.append(self._row(items, side_pad=0.6))
        if "blank" in self.keys:
            self.keys["blank"].disabled = True
            self.keys["blank"].opacity = 0
        return rows

    def _refresh_labels(self) -> None:
        mode_key = self.keys.get("mode")
        if mode_key is not None:
            # The key shows the current mode; tapping switches. Without Rime it stays 英 and is disabled.
            on, off = (MODE_ZH, MODE_EN) if self.mode == "zh" else (MODE_EN, MODE_ZH)
            mode_key.markup = True
            mode_key.text = f"[b]{on}[/b][size={round(px(20))}][color=4b5563] /{off}[/color][/size]"
            mode_key.disabled = not self.pinyin_available
        if "strokes" in self.keys:
            self.keys["strokes"].disabled = not self.pinyin_available
        caps_key = self.keys.get("caps")
        if caps_key is not None:
            caps_key.disabled = self.mode == "zh"
            caps_key.bg = CONFIRM_BG if (self.caps and self.mode == "en") else FUNC_BG
            caps_key.color = (1, 1, 1, 1) if caps_key.bg == CONFIRM_BG else TEXT
        upper = self.mode == "en" and self.caps
        for row in LETTER_ROWS:
            for c in row:
                if c in self.keys:
                    self.keys[c].show(c.upper() if upper else c)
        v = self.keys.get("v")
        if v is not None and self.mode == "zh":  # ü is typed as v: the key says so
            v.markup = True
            v.text = f"v[size={round(px(18))}][color=4b5563] ü[/color][/size]"

    # -- target ----------------------------------------------------------------------------------------
    def set_target(self, widget, layout: str | None = None) -> None:
        """Edit this TextInput from now on (None: edit nothing). Any unfinished composition is dropped."""
        self._clear_composition()
        if layout is not None and layout != self.layout:
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
            fit_input(widget)
            widget.focus = True

    def reset(self) -> None:
        """Between students: drop the composition, the ink and the pinyin session, back to 中."""
        if self.engine is not None:
            self.engine.reset()
        if self.pad is not None:
            self.pad.clear()
        self.caps = False
        self.mode = "zh" if self.pinyin_available else "en"
        if self.layout in ("strokes", "handwriting"):
            self.layout = "text"
        self._show()

    # -- actions ---------------------------------------------------------------------------------------
    def _on_key(self, button: Key) -> None:
        self.press(button.key)

    def press(self, key: str) -> None:
        """Act as if `key` was tapped (the names used in self.keys)."""
        composing = self._composing()
        if key == "backspace":
            if composing:
                self.engine.backspace()
            elif self.layout == "handwriting" and self.pad.strokes:
                self.pad.undo()
            elif self.target is not None:
                if self.layout in pads.DASH_AFTER:
                    self.target.text = pads.erased(self.layout, self.target.text)
                else:
                    self.target.do_backspace()
        elif key in ("strokes", "handwriting", "keyboard"):
            self._commit_composition()
            self.layout = "text" if key == "keyboard" else key
            if key == "keyboard":
                self.mode = "zh" if self.pinyin_available else "en"
        elif key == "rewrite":
            self.pad.clear()
        elif key.startswith("stroke:"):
            if self.engine is not None:
                self.engine.type(("" if composing else STROKE_PREFIX) + key[len("stroke:"):])
        elif key == "mode":
            if self.pinyin_available:
                self._commit_composition()
                self.mode = "en" if self.mode == "zh" else "zh"
        elif key == "caps":
            self.caps = not self.caps
        elif key == "space":
            self._insert(self.engine.type(" ") if composing else " ")
        elif key == "confirm":
            if composing:
                raw = self.engine.commit_raw()
                self._insert("" if raw.startswith(STROKE_PREFIX) else raw)
            else:
                self.dispatch("on_confirm", self.target)
        elif len(key) == 1 and key.isascii() and key.isalpha() and self.layout == "text":
            if self.mode == "zh" and self.engine is not None:
                self._insert(self.engine.type(key))
            else:
                self._insert(key.upper() if self.caps else key)
        elif len(key) == 1:
            self._commit_composition()
            if self.layout in pads.MAX_LENGTH and self.target is not None:
                self.target.text = pads.typed(self.layout, self.target.text, key)
            else:
                self._insert(key)
        self._show()

    def choose(self, index: int) -> None:
        if self.layout == "handwriting":
            if 0 <= index < len(self.pad.candidates):
                self._insert(self.pad.candidates[index])
                self.pad.clear()
            return
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
        return (self.engine is not None and self.layout in ("text", "strokes")
                and (self.mode == "zh" or self.layout == "strokes") and self.engine.composing)

    def _commit_composition(self) -> None:
        if self._composing():
            committed = self.engine.commit()
            self._insert("" if committed.startswith(STROKE_PREFIX) else committed)

    def _clear_composition(self) -> None:
        if self.engine is not None and self.engine.composing:
            self.engine.clear()
        self._show()

    def _insert(self, text: str) -> None:
        if text and self.target is not None:
            self.target.insert_text(text)

    def _show(self) -> None:
        if getattr(self, "bar", None) is None:
            return
        if self.layout == "handwriting":
            self.bar.show(self.pad.candidates if self.pad is not None else (), HANDWRITING_HINT)
        elif self.layout in ("text", "strokes"):
            hint = STROKE_HINT if self.layout == "strokes" else (V_HINT if self.mode == "zh" else "")
            self.bar.show(self.engine.state if self._composing() else None, hint)

    @property
    def candidate_keys(self) -> list[Key]:
        return list(self.bar.candidates)
