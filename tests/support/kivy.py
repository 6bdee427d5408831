"""Kivy without a screen for the UI and input tests: the environment of a headless kiosk (SDL's offscreen driver,
a real GL window without an X server; no sound card; a private KIVY_HOME; Kivy's logging left to Python's) and the
Driver that runs the touch app in the test's process, pumping its frames and touching its real widgets.

Kivy reads its environment when it is first imported: a conftest imports this module before any test imports
kivy (`from tests.support.kivy import Driver`), which sets it (headless() at import)."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui"


def headless() -> None:
    """The environment Kivy reads at import (run once, when this module is first imported)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # spoken prompts play to no device
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")  # never the developer's ~/.kivy
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ["KIVY_CLIPBOARD"] = "sdl2"  # not xsel/xclip (absent on a kiosk)
    os.environ["KIVY_LOG_MODE"] = "PYTHON"  # leave the root logger alone for the other tests
    os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")


headless()


class Driver:
    def __init__(self, app):
        from kivy.base import EventLoop, runTouchApp

        from kivy.config import Config
        from kivy.core.window import Window

        Config.set("graphics", "maxfps", "0")  # frames as fast as they draw
        for child in Window.children[:]:  # another test's widgets, when the window is shared
            Window.remove_widget(child)
        self.app = app
        app._run_prepare()  # build() and on_start(), as App.run() does
        runTouchApp(embedded=True)  # input providers and the clock; frames are pumped by the test
        self.loop = EventLoop
        self.window = EventLoop.window

    # -- time -------------------------------------------------------------------------------------------------------
    def frames(self, count: int = 1) -> None:
        for _ in range(count):
            self.loop.idle()

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.loop.idle()
            time.sleep(0.005)  # let the app's worker threads run

    def until(self, predicate, timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                screen = self.app.sm.current_screen
                raise AssertionError(f"timed out waiting for {what or predicate} on screen {screen.name}: "
                                     f"{screen.general_error.text!r} errors={self.app.session.errors}")
            self.loop.idle()
            time.sleep(0.005)
        self.frames(2)

    def on(self, name: str, timeout: float = 10.0) -> None:
        self.until(lambda: self.app.sm.current == name, timeout, f"screen {name}")

    @property
    def screen(self):
        return self.app.sm.current_screen

    # -- touches ----------------------------------------------------------------------------------------------------
    def tap(self, widget) -> None:
        from kivy.tests.common import UnitTestTouch

        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        self.show(widget)
        assert not widget.disabled, f"{getattr(widget, 'text', widget)!r} is disabled"
        x, y = widget.to_window(*widget.center)
        assert 0 <= x < self.window.width and 0 <= y < self.window.height, f"{widget} is off screen at {(x, y)}"
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(2)

    def type(self, field, text: str) -> None:
        """A finger on the field, then on the on-screen keyboard's keys; characters without a key of their own
        (Chinese) are committed as the pinyin candidate bar would (see type_pinyin for the whole way)."""
        self.show(field)
        self.tap(field.input)
        board = self.app.keyboard
        assert board is None or (board.target is field.input and board.get_root_window() is not None)
        field.input.text = ""
        for ch in text:
            key = ch.lower()
            if board is not None and ch == "-" and board.layout in ("month", "date"):
                continue  # the date pads put the dashes in themselves
            if board is not None and key in board.keys and (not ch.isalpha() or board.mode == "en"):
                if ch.isalpha() and board.caps != ch.isupper():
                    self.tap(board.keys["caps"])
                self.tap(board.keys[key])
            else:
                field.input.insert_text(ch)
        self.frames(1)
        assert field.input.text == text, (field.input.text, text)

    def type_pinyin(self, field, letters: str, choices: list[str]) -> None:
        """Pinyin on the keyboard: the letters, then each wanted candidate (paging on when not yet shown)."""
        board = self.app.keyboard
        self.show(field)
        self.tap(field.input)
        for letter in letters:
            self.tap(board.keys[letter])
        for wanted in choices:
            for _ in range(8):
                texts = [c.text for c in board.candidate_keys]
                if wanted in texts:
                    break
                self.tap(board.bar.next)
            self.tap(board.candidate_keys[texts.index(wanted)])

    def show(self, widget) -> None:
        """Scrolls a form so the widget is in view, as a finger would."""
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            parent = parent.parent if parent.parent is not parent else None  # the window is its own parent
        if parent is not None:
            _, bottom = parent.parent.to_window(*parent.pos)  # the visible part of the scrolled content
            _, y = widget.to_window(*widget.center)
            if not (bottom + widget.height / 2 <= y <= bottom + parent.height - widget.height / 2):
                parent.scroll_to(widget, padding=10, animate=False)
                self.frames(2)

    # -- pictures ---------------------------------------------------------------------------------------------------
    def screenshot(self, name: str) -> Path:
        """The window as drawn, into artifacts/ui/<name>.png (Kivy adds a counter to the name: renamed)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.frames(3)
        self.window.canvas.ask_update()
        self.frames(2)
        taken = Path(self.window.screenshot(name=str(ARTIFACTS / f"{name}.png")))
        target = ARTIFACTS / f"{name}.png"
        taken.replace(target)
        return target

    def close(self) -> None:
        self.app.stop()
        self.frames(1)
        for child in self.window.children[:]:
            self.window.remove_widget(child)


__all__ = ["ARTIFACTS", "Driver", "headless"]
