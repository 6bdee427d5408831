"""A handwriting pad: draw a character with a finger, get candidates (zinnia, drivers/input/zinnia.py).

The pad draws the ink and a 田字格 guide, and after every stroke fires on_candidates(texts) with the best
characters (undrawable ones left out, like the pinyin candidates). clear() wipes the ink. Recognition takes a few
milliseconds (measured 6 ms for 十), so it runs on the UI thread after each stroke.
"""
from __future__ import annotations

import functools
import logging

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.widget import Widget

from kiosk.errors import KioskError
from kiosk.fonts import drawable

from .theme import px

log = logging.getLogger(__name__)

INK = (0.05, 0.05, 0.1, 1)
PAPER = (1, 1, 1, 1)
GUIDE = (0.85, 0.6, 0.6, 1)
BEST = 9


@functools.cache
def recognizer():
    """The process-wide recognizer, loaded on first use; raises HandwritingUnavailable."""
    from drivers.input.zinnia import Recognizer

    return Recognizer()


class HandwritingPad(Widget):
    __events__ = ("on_candidates",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.strokes: list[list[tuple[float, float]]] = []
        self.candidates: tuple[str, ...] = ()
        self.error: KioskError | None = None
        self._lines: list[Line] = []
        self._touch = None
        with self.canvas.before:
            Color(*PAPER)
            self._paper = Rectangle()
            Color(*GUIDE)
            self._guides = [Line(width=1, dash_length=6, dash_offset=6) for _ in range(3)]
        self.bind(pos=self._layout, size=self._layout)

    def _layout(self, *_):
        self._paper.pos, self._paper.size = self.pos, self.size
        x, y, w, h = self.x, self.y, self.width, self.height
        self._guides[0].rectangle = (x + 1, y + 1, w - 2, h - 2)
        self._guides[1].points = [x + w / 2, y, x + w / 2, y + h]
        self._guides[2].points = [x, y + h / 2, x + w, y + h / 2]
        self._redraw()

    # -- touches ----------------------------------------------------------------------------------------------
    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos) or self._touch is not None:
            return super().on_touch_down(touch)
        touch.grab(self)
        self._touch = touch
        self.strokes.append([self._local(touch.pos)])
        with self.canvas:
            Color(*INK)
            self._lines.append(Line(points=list(touch.pos), width=px(4), cap="round", joint="round"))
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_move(touch)
        if len(self.strokes[-1]) < 512:
            self.strokes[-1].append(self._local(touch.pos))
            self._lines[-1].points += list(self._clamp(touch.pos))
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        self._touch = None
        self.strokes[-1].append(self._local(touch.pos))
        self.recognize()
        return True

    def _clamp(self, pos):
        return min(max(pos[0], self.x), self.right), min(max(pos[1], self.y), self.top)

    def _local(self, pos) -> tuple[float, float]:
        """Window position -> pad coordinates, origin top-left, y downwards (as zinnia expects)."""
        x, y = self._clamp(pos)
        return x - self.x, self.top - y

    def _redraw(self):
        for line, stroke in zip(self._lines, self.strokes):
            line.points = [v for x, y in stroke for v in (self.x + x, self.top - y)]

    # -- results ----------------------------------------------------------------------------------------------
    def recognize(self) -> tuple[str, ...]:
        try:
            found = recognizer().classify(self.strokes, self.size, best=BEST * 2)
        except KioskError as exc:
            log.error("handwriting unavailable: %s", exc.detail)
            self.error, found = exc, []
        self.candidates = tuple(t for t, _ in found if drawable(t))[:BEST]
        self.dispatch("on_candidates", self.candidates)
        return self.candidates

    def clear(self) -> None:
        self.strokes = []
        self.candidates = ()
        self.canvas.clear()
        self._lines = []
        self.dispatch("on_candidates", ())

    def undo(self) -> None:
        """Remove the last stroke (删除 on the pad)."""
        if not self.strokes:
            return
        self.strokes.pop()
        self.canvas.remove(self._lines.pop())
        self.recognize() if self.strokes else self.dispatch("on_candidates", ())

    def on_candidates(self, candidates) -> None:
        pass
