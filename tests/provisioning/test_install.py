"""install: the unit files pass `systemd-analyze verify` with nothing to say (it exits 0 on ignored directives, so
its output must be empty too); the loop guard, watchdog and udev rule are what the appliance needs."""
from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from provisioning.cli import main
from provisioning.install import SYSTEMD_UNITS, Layout, install


def stubs(*paths: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def test_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze missing: install Debian's systemd package (scripts/bootstrap.sh does)")
    prefix = tmp_path / "opt" / "kiosk"
    stubs(prefix / "current/bin/kiosk", prefix / "current/bin/kiosk-provision", tmp_path / "bin/cage")
    layout = Layout(root=tmp_path / "root", prefix=str(prefix), cage=str(tmp_path / "bin" / "cage"),
                    config=str(tmp_path / "kiosk.toml"), data_dir=str(tmp_path / "data"),
                    systemctl=shutil.which("systemctl") or "/bin/true")
    written = install(layout, reader_usb="10c4:ea60:0001")
    units = layout.root / "etc" / "systemd" / "system"
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *SYSTEMD_UNITS], cwd=units,
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr
    kiosk = unit(units / "kiosk.service")
    assert kiosk["Service"]["Type"] == "notify" and kiosk["Service"]["WatchdogSec"] == "30"
    assert kiosk["Service"]["NotifyAccess"] == "all"  # the app is cage's child
    assert kiosk["Unit"]["StartLimitBurst"] == "5" and kiosk["Unit"]["OnFailure"] == "kiosk-service-screen.service"
    assert kiosk["Service"]["ExecStart"].startswith(f"{tmp_path}/bin/cage -s -- {prefix}/current/bin/kiosk run --ui")
    screen = unit(units / "kiosk-service-screen.service")
    assert "is-failed" in screen["Service"]["ExecCondition"]
    rule = next(p for p in written if p.name == "99-kiosk-idcard.rules").read_text()
    assert 'ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea60", ATTRS{serial}=="0001", SYMLINK+="kiosk-idcard"' in rule
    journald = unit(layout.root / "etc/systemd/journald.conf.d/50-kiosk.conf")
    assert journald["Journal"]["SystemMaxUse"] == "300M"


def test_install_cli_and_bad_reader_id(tmp_path, capsys):
    assert main(["install", "--root", str(tmp_path), "--no-enable"]) == 0
    assert "未启用服务" in capsys.readouterr().out
    rule = (tmp_path / "etc/udev/rules.d/99-kiosk-idcard.rules").read_text()
    assert "CP210x" in rule and "0400" in rule
    assert main(["install", "--root", str(tmp_path), "--no-enable", "--reader-usb", "zz:1"]) == 1
    assert "VID:PID" in capsys.readouterr().err


def test_service_screen_draws_its_notice(terminal, tmp_path):
    """The screen the loop guard shows, on a real Kivy window (SDL offscreen), then its screenshot."""
    import os
    import sys

    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_CONSOLELOG="1",
               KIVY_NO_FILELOG="1", KIVY_NO_ARGS="1")
    shot = tmp_path / "screen.png"
    result = subprocess.run([sys.executable, "-m", "provisioning.cli", "service-screen", *terminal.args,
                             "--seconds", "1.5", "--screenshot", str(shot)], env=env, check=False, capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    import cv2

    taken = sorted(tmp_path.glob("screen*.png"))  # Kivy appends a counter to the name
    image = cv2.imread(str(taken[-1]))
    b, _, r = image.reshape(-1, 3).mean(axis=0)
    assert r > 100 and r > 2 * b  # the red notice was drawn, not a black window
    assert (image.reshape(-1, 3).max(axis=1) > 200).mean() > 0.001  # white text on it
