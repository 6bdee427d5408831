"""The watchdog: a kiosk-like process whose UI loop blocks while a worker thread still runs is detected through
sdnotify, on a unix datagram socket standing in for systemd's NOTIFY_SOCKET (the test plays systemd's part:
no WATCHDOG=1 within WatchdogSec -> SIGABRT, as systemd does)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drivers.systemd import MainLoopHeartbeat, Notifier, watchdog_interval

WATCHDOG_SEC = 0.6


@pytest.mark.parametrize("program", ["kiosk_like.py", "kivy_like.py"])
def test_frozen_ui_loop_is_detected_although_a_worker_thread_runs(tmp_path, program):
    """kiosk_like: a plain UI loop; kivy_like: the heartbeat on Kivy's Clock (a real window, SDL offscreen)."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.05)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(int(WATCHDOG_SEC * 1e6)),
               SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_CONSOLELOG="1",
               KIVY_NO_FILELOG="1")
    kiosk = subprocess.Popen([sys.executable, str(Path(__file__).with_name(program)), "1.5"], env=env)
    messages: list[tuple[float, str]] = []
    last_ping = fired = None
    try:
        deadline = time.monotonic() + 60  # bound against a hang (slow start on a busy machine), not a timing check
        while time.monotonic() < deadline and fired is None:
            try:
                data = sock.recv(4096).decode()
                messages.append((time.monotonic(), data))
                if "WATCHDOG=1" in data or data.startswith("READY=1"):  # armed from READY on
                    last_ping = time.monotonic()
            except TimeoutError:
                pass
            if last_ping is not None and time.monotonic() - last_ping > WATCHDOG_SEC:
                fired = time.monotonic()
                kiosk.send_signal(signal.SIGABRT)  # systemd's watchdog action before the restart
        assert kiosk.wait(10) == -signal.SIGABRT
    finally:
        kiosk.kill()
        sock.close()
    assert fired is not None, "the frozen UI was not detected"
    texts = [m for _, m in messages]
    assert any(t.startswith("READY=1") for t in texts)
    pings = [t for t, m in messages if m == "WATCHDOG=1"]
    assert len(pings) >= 3  # the UI loop pinged while it ran
    # the worker kept reporting after the last ping: a busy worker thread did not keep the process alive
    assert any(m.startswith("STATUS=worker") and t > pings[-1] + WATCHDOG_SEC / 2 for t, m in messages)


def test_heartbeat_refuses_other_threads_and_is_a_no_op_without_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled and notifier.watchdog_interval is None
    heartbeat = MainLoopHeartbeat(notifier)
    assert heartbeat.tick(0.016) is None and heartbeat.pings == 1  # Kivy passes dt; None keeps it scheduled
    errors = []
    thread = threading.Thread(target=lambda: errors.append(pytest.raises(RuntimeError, heartbeat.tick)))
    thread.start()
    thread.join()
    assert errors
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "x"}) is None
