"""The watchdog wired the way the touch app should wire it (Kivy's Clock on the UI loop), for the watchdog test:
READY after the first frame, the heartbeat on the Clock, a worker thread reporting STATUS; FREEZE seconds after
READY a UI callback blocks the UI loop for good."""
import os
import sys
import threading
import time

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from drivers.systemd import MainLoopHeartbeat, Notifier  # noqa: E402


class KioskLike(App):
    def build(self):
        self.notifier = Notifier()
        self.heartbeat = MainLoopHeartbeat(self.notifier)  # created on the UI thread
        Clock.schedule_interval(self.heartbeat.tick, self.heartbeat.interval / 2)
        Clock.schedule_once(self.ready, 0)  # after the first frame
        threading.Thread(target=self.worker, daemon=True).start()
        return Label(text="kiosk")

    def ready(self, _dt):
        self.notifier.ready()
        Clock.schedule_once(lambda dt: threading.Event().wait(), float(sys.argv[1]))  # then the UI freezes

    def worker(self):
        n = 0
        while True:
            n += 1
            self.notifier.status(f"worker {n}")
            time.sleep(0.05)


KioskLike().run()
