"""The event queue every badge reader reports through: kiosk.devices.badge.BadgeReader's next_event(timeout)."""
from __future__ import annotations

import queue

from kiosk.devices.badge import BadgeEvent


class QueuedReader:
    """A badge reader whose events wait in `_events` until next_event takes them."""

    def __init__(self) -> None:
        self._events: queue.Queue[BadgeEvent] = queue.Queue()

    def next_event(self, timeout: float) -> BadgeEvent | None:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None
