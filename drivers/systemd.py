"""systemd's notify protocol for the kiosk service (Type=notify, WatchdogSec=): READY, STATUS, WATCHDOG pings.

Everything is a no-op when NOTIFY_SOCKET is unset (a developer's machine, the tests, the robot). The kiosk app
runs under cage, so it is a child of the unit's main process: the unit sets NotifyAccess=all, and WATCHDOG_PID
(cage's pid there) is not compared with ours.

The watchdog must prove that the UI is alive, not that the process is: MainLoopHeartbeat.tick() is scheduled on
the UI loop (Kivy: Clock.schedule_interval(heartbeat.tick, heartbeat.interval)) and refuses to ping from any
other thread, so a frozen UI loop stops the pings and systemd restarts the app even while a worker thread (sync,
camera, printing) is still busy.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping


def watchdog_interval(env: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between pings: half of systemd's WATCHDOG_USEC (its own advice), None when there is no watchdog."""
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


class Notifier:
    """sd_notify through the sdnotify package; every method is a no-op without NOTIFY_SOCKET."""

    def __init__(self, env: Mapping[str, str] = os.environ):
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self.watchdog_interval = watchdog_interval(env) if self.enabled else None
        self._sd = None
        if self.enabled:
            import sdnotify

            self._sd = sdnotify.SystemdNotifier()

    def _send(self, message: str) -> None:
        if self._sd is not None:
            # sdnotify encodes latin-1: keep STATUS text ASCII (English), never personal data
            self._sd.notify(message.encode("ascii", "replace").decode("ascii"))

    def ready(self, status: str = "ready") -> None:
        """Once the first screen is drawn (Kivy: on_start plus one frame)."""
        self._send(f"READY=1\nSTATUS={status}")

    def status(self, text: str) -> None:
        self._send(f"STATUS={text}")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")


class MainLoopHeartbeat:
    """Create on the UI thread; tick() from the UI loop only. interval: how often the UI loop should call tick()."""

    def __init__(self, notifier: Notifier, interval: float | None = None):
        self.notifier = notifier
        self.interval = interval or notifier.watchdog_interval or 1.0
        self.owner = threading.get_ident()
        self.last_ping = 0.0
        self.pings = 0

    def tick(self, *_args) -> None:
        """Pings the watchdog (at most every half interval). Accepts Kivy's dt argument, and returns None on
        purpose: a Kivy Clock callback that returns False is unscheduled, which would silence the heartbeat."""
        if threading.get_ident() != self.owner:
            raise RuntimeError("the watchdog heartbeat must come from the UI loop's thread")
        now = time.monotonic()
        if now - self.last_ping < self.interval * 0.5:
            return
        self.last_ping = now
        self.pings += 1
        self.notifier.watchdog()
