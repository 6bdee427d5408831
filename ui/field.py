"""The field-service hooks of the touch app: the systemd watchdog fed from the UI loop, the update lock held while
a registration is under way, and the technician's identify request (flash and beep). All run on the Kivy clock."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from kivy.clock import Clock

log = logging.getLogger(__name__)


class FieldHooks:
    def __init__(self, app):
        from drivers.systemd import MainLoopHeartbeat, Notifier
        from kiosk.update_lock import RegistrationLock

        self.app = app
        self.paths = app.kiosk.paths
        self.notifier = Notifier()
        self.heartbeat = MainLoopHeartbeat(self.notifier)  # created on the UI thread: tick() only from there
        self.lock = RegistrationLock(self.paths.update_lock)
        self.flash = None
        self._events = []
        self._beep = None
        self._sound = None

    def start(self) -> None:
        self._events = [Clock.schedule_interval(self.heartbeat.tick, self.heartbeat.interval / 2),
                        Clock.schedule_interval(self._identify, 1.0)]
        Clock.schedule_once(lambda _dt: self.notifier.ready(), 0)  # after the first frame

    def stop(self) -> None:
        for event in self._events:
            event.cancel()
        self._events = []
        self._unflash()
        self.lock.release()
        self.notifier.stopping()

    def status(self, step: str) -> None:
        self.notifier.status(f"step {step}")  # ASCII, no personal data

    # -- update lock ------------------------------------------------------------------------------------------
    def begin_session(self) -> bool:
        """A card starts a registration: False while an update is being applied (the caller shows 终端正在升级)."""
        return self.lock.acquire()

    def end_session(self) -> None:
        self.lock.release()

    # -- identify ---------------------------------------------------------------------------------------------
    def _identify(self, _dt) -> None:
        from kiosk import identify

        left = identify.pending(self.paths.identify_request)
        if left is None:
            self._unflash()
            return
        if self.flash is None:
            from .overlays import IdentifyFlash

            self.flash = IdentifyFlash(self.app.kiosk.station.terminal_id)
            self.app.root.add_widget(self.flash)
            self._events.append(Clock.schedule_interval(lambda _dt: self.flash and self.flash.flip(), 0.5))
        self._play()

    def _unflash(self) -> None:
        if self.flash is not None:
            self.app.root.remove_widget(self.flash)
            self.flash = None
            for event in self._events[2:]:
                event.cancel()
            del self._events[2:]

    def _play(self) -> None:
        from kiosk import identify

        try:
            if self._sound is None:
                from kivy.core.audio import SoundLoader

                self._beep = self._beep or identify.write_beep(Path(tempfile.mkdtemp(prefix="kiosk-beep-")) / "b.wav")
                self._sound = SoundLoader.load(str(self._beep)) or False
            if self._sound:
                self._sound.play()
        except Exception:  # noqa: BLE001 - no audio device: the flash alone identifies the terminal
            log.info("identify beep unavailable")
            self._sound = False
