"""The composition root without a screen: each configured device is opened at start, and a broken or missing one
stops the start-up with a Chinese message (never later, at first use)."""
import pytest

from drivers import load
from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths
from ui.wiring import open_devices


def test_simulated_devices_open(tmp_path):
    paths = TerminalPaths.at(tmp_path).ensure()
    devices = open_devices(TerminalConfig(data_dir=tmp_path), paths)
    try:
        assert devices.simulated_card and devices.simulated_camera
        assert devices.card_reader.control == paths.runtime / "idcard.ctl"
        assert str(devices.printer.directory) == str(paths.printed)
        assert devices.card_reader.simulate("status").startswith("ok ")
    finally:
        devices.close()


@pytest.mark.parametrize("field, value, message", [
    ("card_reader", "/dev/ttyNOPE", "找不到身份证阅读器串口"),
    ("document_camera", "/nonexistent/document.mp4", "无法打开摄像头"),
])
def test_a_missing_device_stops_the_start(tmp_path, field, value, message):
    paths = TerminalPaths.at(tmp_path).ensure()
    with pytest.raises(KioskError, match=message):
        open_devices(TerminalConfig(data_dir=tmp_path, **{field: value}), paths)
    assert not (paths.runtime / "idcard.ctl").exists()  # what opened before the failure was closed again


def test_an_implementation_that_cannot_load_fails_loudly():
    with pytest.raises(KioskError, match="打印机驱动无法加载") as caught:
        load("drivers.printer.no_such_backend", "打印机")
    assert "no_such_backend" in caught.value.detail


def test_config_modes_and_the_data_dir_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "env"))
    assert TerminalConfig().demo and TerminalConfig().data_dir == tmp_path / "env"
    assert not TerminalConfig(server_url="https://central.example").demo
    with pytest.raises(ValueError, match="server_url"):
        TerminalConfig(demo=False)
    with pytest.raises(ValueError, match="embedded"):
        TerminalConfig(demo=True, server_url="https://central.example")
    (tmp_path / "k.toml").write_text('demo = false\nserver_url = "https://c.example"\npolicy = "henan-2024"\n')
    loaded = TerminalConfig.load(tmp_path / "k.toml")
    assert loaded.paths.store == tmp_path / "env" / "kiosk.db" and not loaded.demo


def test_devices_report_their_state_for_the_heartbeat(tmp_path):
    paths = TerminalPaths.at(tmp_path).ensure()
    devices = open_devices(TerminalConfig(data_dir=tmp_path), paths)
    try:
        assert devices.status() == {"card_reader": "simulator", "camera": "simulator", "document_camera": "simulator",
                                    "printer": "ok", "badge_reader": "simulator"}
    finally:
        devices.close()
