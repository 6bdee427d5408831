"""discover against the simulators: card readers on ptys (one at another baud rate, one silent), a camera file, a
private cupsd, pcscd with vpcd; it writes the device section of the terminal config."""
from __future__ import annotations

import json

from kiosk.config import TerminalConfig
from provisioning.cli import main


def test_discover_finds_devices_and_writes_the_device_section(terminal, reader_sim, images, cupsd, monkeypatch,
                                                               capsys):
    silent = reader_sim(warmup=3600)
    slow = reader_sim(baud=57600)
    queue = cupsd.add_queue()
    monkeypatch.setenv("CUPS_SERVER", cupsd.socket)
    camera = images("blue", size=(720, 1280))
    code = main(["discover", *terminal.args, "--port", str(silent.link), "--port", str(slow.link),
                 "--camera", camera, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["written"]
    assert out["found"]["card_readers"] == [{"port": str(slow.link), "baud": 57600,
                                             "sam_id": "05.01-20101118-0012345678-1234567890", "usb": None}]
    assert {"source": camera, "resolutions": [[1280, 720]]} in out["found"]["cameras"]
    assert queue.name in [p["name"] for p in out["found"]["printers"]]
    config = TerminalConfig.load(terminal.config_path)
    assert config.card_reader == str(slow.link) and config.camera == camera
    assert config.printer in [p["name"] for p in out["found"]["printers"]]
    assert config.terminal_id == "T-TEST"  # the rest of the config is kept


def test_discover_in_chinese_when_nothing_is_there(terminal, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cups.sock"))
    code = main(["discover", *terminal.args, "--port", str(tmp_path / "ttyNONE")])
    out = capsys.readouterr().out
    assert code == 1
    assert "CUPS打印服务未运行" in out and "没有可写入终端配置的设备" in out
    assert TerminalConfig.load(terminal.config_path).card_reader == "simulator"


def test_pcsc_readers_in_discover_and_selftest(pcscd, terminal):
    """One test for both: pcscd is one per machine, shared with other test runs."""
    from kiosk.paths import TerminalPaths
    from provisioning.checks import Context
    from provisioning.device_checks import check_badge_reader
    from provisioning.discover import Found, find_pcsc

    found = Found()
    find_pcsc(found)
    assert pcscd.reader in found.pcsc_readers
    check = check_badge_reader(Context(terminal.config))
    assert check.status == "ready" and "Virtual PCD" in check.message
    TerminalPaths.at(terminal.config.data_dir).operators.write_text("[]")
    pcscd.stop()
    try:
        down = check_badge_reader(Context(terminal.config))
        assert down.status == "error" and "pcscd" in down.message and "无法刷卡登录" in down.message
    finally:
        pcscd.start()
