"""The touch app, headless: Kivy on SDL's offscreen driver (a real GL window, no X server), driven through real
touches on real widgets (tests/support/kivy.py: the environment, set on import before anything imports Kivy, and
the Driver)."""
import pytest

from tests.support.kivy import Driver


@pytest.fixture
def kiosk_ui(tmp_path):
    """The app with its default (simulated) devices, running in this process; closed after the test."""
    from kiosk.config import TerminalConfig
    from ui.app import KioskApp

    app = KioskApp(TerminalConfig(), workdir=tmp_path, realtime_camera=False, say=lambda _: None)
    driver = Driver(app)
    try:
        yield driver
    finally:
        driver.close()
