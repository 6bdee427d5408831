"""Density-independent sizing: an app built for a 1920x1080 (or 1080x1920) panel draws its type and touch targets
larger than at 1280x800, in proportion to the panel (ui.theme.scale), and every screen of the tour (with its
demo data: failures, operator screens) still draws every glyph, inside the window, with targets >= 60 px."""
import pytest

import ui.app  # noqa: F401 - first: the window's size in Kivy's Config
from kiosk.session import Step
from ui import theme, tour


@pytest.mark.parametrize("size, factor", [((1920, 1080), 1.35), ((1080, 1920), 1.125)],
                         ids=["1920x1080", "1080x1920"])
def test_type_and_targets_scale_with_the_configured_panel(tmp_path, size, factor):
    from kiosk.config import TerminalConfig
    from ui.app import KioskApp

    from tests.support.kivy import Driver

    assert theme.scale(1280, 800) == 1.0 and theme.scale(*size) == factor
    config = TerminalConfig(screen_size=f"{size[0]}x{size[1]}")
    d = Driver(KioskApp(config, workdir=tmp_path, realtime_camera=False, say=lambda _: None))
    try:
        app = d.app
        assert theme.SCALE == factor and tuple(d.window.system_size) == size
        tour.demo_session(app)
        identity = tour.show(app, Step.IDENTITY)
        assert identity.next_button.height == pytest.approx(72 * factor)  # 72 design px at 1280x800
        assert identity.prompt.font_size == pytest.approx(30 * factor)
        assert identity.header.height == pytest.approx((112 if size[1] > size[0] else 64) * factor)
        seen, problems = [], []
        for name, _screen in tour.screens(app):
            seen.append(name)
            problems += [f"{name}: {p}" for p in tour.check(app)]
        assert {"failure-printer", "operator", "operator_status", "operator_assist"} <= set(seen)
        assert problems == []
    finally:
        d.close()
        theme.set_scale(TerminalConfig())  # the next app in this process starts from 1280x800 again
