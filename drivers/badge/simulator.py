"""A simulated badge reader for the demo: the operator screen's hidden gesture lays a badge (by UID) and logout takes
it away. It speaks kiosk.devices.badge.BadgeReader, so the login, the registry and the PIN check are the real ones."""
from __future__ import annotations

from kiosk.devices.badge import BadgeEvent, BadgeEventKind, normalise_uid

from .events import QueuedReader

READER = "模拟工作人员卡读卡器"


class SimulatedBadgeReader(QueuedReader):
    simulated = True

    def __init__(self):
        super().__init__()
        self._events.put(BadgeEvent(BadgeEventKind.READER_READY, READER))
        self.present: str | None = None

    def lay(self, uid: str) -> None:
        """A badge on the reader (a second one replaces the first, as lifting and laying would)."""
        if self.present is not None:
            self.lift()
        self.present = normalise_uid(uid)
        self._events.put(BadgeEvent(BadgeEventKind.INSERTED, READER, uid=self.present))

    def lift(self) -> None:
        if self.present is not None:
            self.present = None
            self._events.put(BadgeEvent(BadgeEventKind.REMOVED, READER))

    def close(self) -> None:
        pass
