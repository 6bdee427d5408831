"""BadgeReader over PC/SC: pyscard's CardMonitor reports insert/remove; the UID comes from FF CA 00 00 00."""
from __future__ import annotations

import logging
import queue

from kiosk.devices.badge import BadgeEvent, BadgeEventKind

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]  # PC/SC part 3 "get data": the contactless card's UID


def read_uid(card) -> str | None:
    """The UID of a pyscard Card as upper-case hex, or None if the card or reader refuses."""
    from smartcard.Exceptions import SmartcardException

    connection = card.createConnection()
    try:
        connection.connect()
        data, sw1, sw2 = connection.transmit(GET_UID)
        return bytes(data).hex().upper() if (sw1, sw2) == (0x90, 0x00) and data else None
    except SmartcardException as exc:
        log.info("badge UID read failed", extra={"fields": {"error": exc.__class__.__name__}})
        return None
    finally:
        try:
            connection.disconnect()
        except SmartcardException:
            pass


class PcscBadgeReader:
    """Implements kiosk.devices.badge.BadgeReader; reader_filter keeps only readers whose name contains it."""

    def __init__(self, reader_filter: str = ""):
        from smartcard.CardMonitoring import CardMonitor, CardObserver

        self.reader_filter = reader_filter
        self._events: queue.Queue[BadgeEvent] = queue.Queue()
        outer = self

        class Observer(CardObserver):
            def update(self, observable, actions):
                added, removed = actions
                for card in removed:
                    outer._emit(card, BadgeEventKind.REMOVED)
                for card in added:
                    outer._emit(card, BadgeEventKind.INSERTED)

        self._observer = Observer()
        self._monitor = CardMonitor()
        self._monitor.addObserver(self._observer)

    def _emit(self, card, kind: BadgeEventKind) -> None:
        reader = str(card.reader)
        if self.reader_filter not in reader:
            return
        uid = read_uid(card) if kind is BadgeEventKind.INSERTED else None
        self._events.put(BadgeEvent(kind, reader, uid))

    def next_event(self, timeout: float) -> BadgeEvent | None:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._monitor.deleteObserver(self._observer)
