"""The demo's 模拟：放置身份证 button lifts a card lying on the simulated reader and lays it again 0.5 s later. When
the simulator is gone by then (the app closing), the delayed command must not raise inside Kivy's loop (an uncaught
exception there ends the app)."""
import json

import ui.app  # noqa: F401 - first: it sets the window's size in Kivy's Config before anything opens the window


def test_the_delayed_relay_of_the_demo_card_survives_a_closed_simulator(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    reader = app.devices.card_reader

    def present() -> bool:
        return json.loads(reader.simulate("status").removeprefix("ok ")).get("present", False)

    app.simulate_card()
    d.until(present, 10, "the demo card on the reader")
    app.simulate_card()  # lying there: lifted now, laid again in 0.5 s
    app._stop_poller.set()  # the app closing, in on_stop's order: the card poller first,
    app._poller_thread.join(3)
    app.devices.close()  # then the devices with the simulator and its control socket, before the re-lay fires
    d.wait(1.0)  # the delayed command fires here: logged, not raised
