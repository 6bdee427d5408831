"""The self-test against the simulators and a real server: reader on a pty, camera image files, a private cupsd,
the embedded central server; and broken ones: reader silent, printer out of paper, server unreachable, clock off."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from central.embedded import free_port
from kiosk.paths import TerminalPaths
from provisioning.checks import Context
from provisioning.cli import main
from provisioning.selftest import selftest, verify_report


def checks_of(report) -> dict:
    return {c["name"]: c for c in report["checks"]}


def test_all_ready_signed_uploaded_and_kept(terminal, enrolled, server, reader_sim, images, cupsd):
    sim = reader_sim()
    queue = cupsd.add_queue()
    terminal.update(card_reader=str(sim.link), camera=images("blue"), document_camera=images("grey"),
                    printer=queue.name)
    ctx = Context(terminal.config, test_page=True, test_card=True, cups_server=cupsd.socket)
    report = selftest(ctx)
    checks = checks_of(report)
    for name in ("card_reader", "camera", "document_camera", "printer", "server", "clock", "store", "key_files",
                 "sync_backlog", "disk", "face_model"):
        assert checks[name]["status"] == "ready", checks[name]
        assert checks[name]["message"] and checks[name]["detail"]
    assert "05.01-20101118-0012345678-1234567890" in checks["card_reader"]["message"]
    assert "1280×960" in checks["camera"]["message"]
    assert queue.output.read_bytes().startswith(b"%PDF")  # the test page came out of the queue
    # the badge reader needs the machine's one pcscd (tested in test_discover): ready or "not registered" here
    assert checks["badge_reader"]["status"] in ("ready", "warning")
    assert report["ok"] and report["status"] != "error" and report["uploaded"]
    # kept locally, signed with the terminal key, and on the server
    kept = json.loads((TerminalPaths.at(terminal.config.data_dir).selftest / "latest.json").read_text())
    public = base64.b64decode(kept["signature"]["public_key"])
    assert verify_report(kept, public)
    kept["checks"][0]["status"] = "error"
    assert not verify_report(kept, public)
    from central import models
    with server.central.sessions() as s:
        row = s.query(models.SelfTest).filter_by(terminal_id=enrolled.terminal_id).one()
        assert row.ok and {c["name"] for c in row.report["checks"]} >= {"card_reader", "printer", "clock"}


def test_silent_reader_and_out_of_paper_are_errors(terminal, reader_sim, images, cupsd):
    sim = reader_sim(warmup=3600)  # the SAM never answers
    queue = cupsd.add_queue("media-empty")
    terminal.update(card_reader=str(sim.link), camera=images("dark"), printer=queue.name)
    report = selftest(Context(terminal.config, test_page=True, cups_server=cupsd.socket), send=False)
    checks = checks_of(report)
    assert checks["card_reader"]["status"] == "error" and "无响应" in checks["card_reader"]["message"]
    assert checks["printer"]["status"] == "error" and "缺纸" in checks["printer"]["message"]
    assert checks["camera"]["status"] == "warning" and "过暗" in checks["camera"]["message"]
    assert not report["ok"] and report["status"] == "error"
    # without a test page the stopped queue is still reported
    again = checks_of(selftest(Context(terminal.config, cups_server=cupsd.socket), send=False))
    assert again["printer"]["status"] == "error" and "缺纸" in again["printer"]["message"]


def test_backdrop_not_blue_and_missing_devices(terminal, images, tmp_path):
    terminal.update(camera=images("grey"), document_camera=str(tmp_path / "nothing.mp4"),
                    card_reader=str(tmp_path / "ttyNONE"))
    checks = checks_of(selftest(Context(terminal.config, timeout=1.0), send=False))
    assert checks["camera"]["status"] == "warning" and "蓝色" in checks["camera"]["message"]
    assert checks["document_camera"]["status"] == "error"
    assert checks["card_reader"]["status"] == "error" and "无法打开" in checks["card_reader"]["message"]


def test_reader_held_by_the_running_kiosk(terminal, reader_sim):
    from drivers.idcard.reader import SamReader

    sim = reader_sim()
    terminal.update(card_reader=str(sim.link))
    held = SamReader.open(str(sim.link))  # the kiosk app opens the port exclusively
    try:
        check = checks_of(selftest(Context(terminal.config), send=False))["card_reader"]
    finally:
        held.close()
    assert check["status"] == "error" and "被占用" in check["message"]


def test_server_unreachable_keeps_the_report(terminal, enrolled):
    dead = f"http://127.0.0.1:{free_port()}"
    sync = TerminalPaths.at(terminal.config.data_dir).sync_dir / "terminal.json"
    sync.write_text(json.dumps(json.loads(sync.read_text()) | {"server": dead}))
    report = selftest(Context(terminal.config, timeout=2.0))
    checks = checks_of(report)
    assert checks["server"]["status"] == "error" and "无法连接" in checks["server"]["message"]
    assert not report["uploaded"] and "保存在本地" in report["upload_note"]
    assert json.loads((TerminalPaths.at(terminal.config.data_dir).selftest / "latest.json").read_text())[
        "status"] == "error"


def test_clock_ten_minutes_off_is_an_error_thirty_seconds_a_warning(terminal, enrolled):
    off = checks_of(selftest(Context(terminal.config, clock=lambda: time.time() + 600), send=False))["clock"]
    assert off["status"] == "error" and "快10分钟" in off["message"], off
    late = checks_of(selftest(Context(terminal.config, clock=lambda: time.time() - 45), send=False))["clock"]
    assert late["status"] == "warning" and "慢" in late["message"], late
    right = checks_of(selftest(Context(terminal.config), send=False))["clock"]
    assert right["status"] == "ready", right


FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


def test_a_terminal_really_ten_minutes_ahead(terminal, enrolled, server):
    """The command under libfaketime (its wall clock +10 min, the server's real): the clock check is an error, and
    the signed upload is refused by the server (its 5-minute window) while the report is kept locally."""
    if not FAKETIME_LIB.exists():
        pytest.skip("libfaketime missing (Debian package libfaketime; scripts/bootstrap.sh installs it)")
    env = dict(os.environ, LD_PRELOAD=str(FAKETIME_LIB), FAKETIME="+10m", FAKETIME_DONT_FAKE_MONOTONIC="1")
    result = subprocess.run([sys.executable, "-m", "provisioning.cli", "selftest", *terminal.args, "--no-devices",
                             "--json"], env=env, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(result.stdout)
    clock = checks_of(report)["clock"]
    assert result.returncode == 1 and clock["status"] == "error" and "快10分钟" in clock["message"], clock
    assert not report["uploaded"] and "保存在本地" in report["upload_note"]
    assert json.loads(Path(report["saved"]).read_text())["checks"] == report["checks"]


def test_loose_key_file_mode_is_an_error(terminal, enrolled, queue_record, capsys):
    import stat

    queue_record()
    store = TerminalPaths.at(terminal.config.data_dir).store
    for path in (store, store.with_name("kiosk.db-wal")):  # regression: the store used to be created 0644
        assert not path.exists() or stat.S_IMODE(path.stat().st_mode) == 0o600, path
    key = TerminalPaths.at(terminal.config.data_dir).sync_dir / "terminal.key"
    key.chmod(0o644)
    assert main(["selftest", *terminal.args, "--json", "--no-upload", "--core"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert checks_of(report)["key_files"]["status"] == "error"
    key.chmod(0o600)
    assert main(["selftest", *terminal.args, "--core"]) == 0
    out = capsys.readouterr().out
    assert "[正常] key_files" in out and "总体" in out


def test_a_missing_or_altered_face_model_is_named(terminal, tmp_path, monkeypatch, capsys):
    """Without the face model every photo goes to the operator: the self-test says so and how to mend it."""
    import shutil

    from kiosk.photo import weights

    copy = tmp_path / "models"
    shutil.copytree(weights.model_dir(), copy / weights.FOLDER)
    monkeypatch.setenv(weights.MODEL_DIR_ENV, str(copy))
    assert main(["selftest", *terminal.args, "--json", "--no-upload", "--core"]) in (0, 1)
    assert checks_of(json.loads(capsys.readouterr().out))["face_model"]["status"] == "ready"
    with open(copy / weights.FOLDER / "mobilefacenet.bin", "r+b") as weights_file:
        weights_file.write(b"\0\0\0\0")  # a damaged copy: present, but not the pinned bytes
    main(["selftest", *terminal.args, "--json", "--no-upload", "--core"])
    face = checks_of(json.loads(capsys.readouterr().out))["face_model"]
    assert face["status"] == "warning" and "人工核对" in face["message"] and "mobilefacenet.bin" in face["detail"]
    (copy / weights.FOLDER / "mobilefacenet.json").unlink()
    main(["selftest", *terminal.args, "--json", "--no-upload", "--core"])
    face = checks_of(json.loads(capsys.readouterr().out))["face_model"]
    assert face["status"] == "warning" and "mobilefacenet.json" in face["detail"]
