"""Input tests: the pinyin engine on the real librime, the keyboard on a headless Kivy window (SDL offscreen).

Kivy reads its environment at import: tests/support/kivy.py sets it, imported here before any test module imports
kivy.
"""
import pytest

from tests.support.kivy import headless  # noqa: F401 - sets Kivy's environment on import

WINDOW_SIZE = (1280, 800)


@pytest.fixture(scope="session")
def engine_factory():
    """Engines on the process-wide Rime runtime; all closed at the end."""
    from drivers.input.rime import PinyinEngine

    made = []

    def make(*args, **kwargs):
        engine = PinyinEngine(*args, **kwargs)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def engine(engine_factory):
    engine = engine_factory(phrases=[])
    yield engine
    engine.reset()


@pytest.fixture(scope="session")
def window():
    """One real GL window (offscreen) for the session, no input providers: touches come from the tests."""
    from kivy.config import Config

    Config.set("graphics", "width", str(WINDOW_SIZE[0]))
    Config.set("graphics", "height", str(WINDOW_SIZE[1]))
    Config.set("graphics", "maxfps", "0")  # frames as fast as they draw: no 60 Hz sleeps in tests
    for name, _ in Config.items("input"):
        Config.remove_option("input", name)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    Window.size = WINDOW_SIZE
    yield Window


@pytest.fixture
def ui(window):
    """Helpers to show widgets, advance frames and tap at widgets' centres."""
    return UI(window)


class UI:
    def __init__(self, window):
        self.window = window

    def show(self, *widgets):
        for child in self.window.children[:]:
            self.window.remove_widget(child)
        for widget in widgets:
            self.window.add_widget(widget)
        self.frames(3)

    def frames(self, n=1):
        from kivy.base import EventLoop

        for _ in range(n):
            EventLoop.idle()

    def tap(self, widget):
        """Touch down and up at the widget's centre in window coordinates, like a finger."""
        from kivy.tests.common import UnitTestTouch

        assert widget.get_root_window() is not None, f"{widget} is not on the window"
        assert widget.width >= 60 and widget.height >= 60, f"touch target too small: {widget.size}"
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(2)
