"""Operator login with a badge on the real PC/SC stack: a private pcscd with vsmartcard's vpcd reader and a
virtual badge (drivers/badge/testing.py, vicc.py), read by the app's own badge reader (config badge_reader =
"pcsc:<reader>"). The badge laid on the attract screen opens the login, the PIN is typed on the pad, pulling the
badge logs out and the attract screen comes back."""
import ui.app  # noqa: F401 - first: it sets the window's size in Kivy's Config before anything opens the window
from ui.wiring import DEMO_OPERATOR

from tests.support.pcscd import pcscd  # noqa: F401 - fixture

from tests.support.kivy import Driver


def test_badge_on_the_reader_opens_operator_mode_and_pulling_it_closes_it(pcscd, tmp_path):
    from drivers.badge.vicc import VirtualBadge
    from kiosk.config import TerminalConfig
    from ui.app import KioskApp

    app = KioskApp(TerminalConfig(badge_reader=f"pcsc:{pcscd.reader}"), workdir=tmp_path, realtime_camera=False,
                   say=lambda _: None)
    d = Driver(app)
    badge = VirtualBadge(bytes.fromhex(DEMO_OPERATOR[2]))
    try:
        d.on("attract")
        assert not getattr(app.devices.badge_reader, "simulated", True)
        badge.insert()
        d.on("operator_login", timeout=15)
        d.until(lambda: not d.screen.login_button.disabled, 5, "the PIN prompt")
        assert d.screen.hint.text == ""  # no demo hint with a real reader
        d.tap(d.screen.pin.input)
        for digit in DEMO_OPERATOR[3]:
            d.tap(app.keyboard.keys[digit])
        d.tap(d.screen.login_button)
        d.on("operator")
        assert app.operator.operator.id == DEMO_OPERATOR[0] and app.session.operator_present
        assert app.devices.status()["badge_reader"] == "ok"
        badge.remove()
        d.on("attract", timeout=15)
        assert app.operator.operator is None and not app.session.operator_present
    finally:
        badge.remove()
        d.close()
