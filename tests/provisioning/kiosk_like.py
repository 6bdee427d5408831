"""A kiosk-like process for the watchdog test: a UI loop ticking the heartbeat and a busy worker thread that also
tries to; after FREEZE seconds the UI loop blocks for good (a deadlock) while the worker carries on."""
import sys
import threading
import time

from drivers.systemd import MainLoopHeartbeat, Notifier

notifier = Notifier()
heartbeat = MainLoopHeartbeat(notifier)


def worker() -> None:
    n = 0
    while True:
        n += 1
        notifier.status(f"worker {n}")
        try:
            heartbeat.tick()
        except RuntimeError:
            pass  # refused: only the UI loop may ping
        time.sleep(0.05)


threading.Thread(target=worker, daemon=True).start()
notifier.ready()
freeze_at = time.monotonic() + float(sys.argv[1])
while True:  # the UI loop
    heartbeat.tick()
    time.sleep(heartbeat.interval / 4)
    if time.monotonic() > freeze_at:
        threading.Event().wait()
