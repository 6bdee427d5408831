"""The polling loop the kiosk runs: placed / read / removed events, one read per placement, survives unplugging.

CardPoller implements kiosk.devices.card_reader.CardReader. Each poll() is one step of a small state machine:

    no reader --open + SAM status--> idle --find ok--> placed --select + read--> read or failed
    read/failed --find fails `removal_misses` times in a row--> removed --> idle

A card is never read twice while it stays in the field. A vanished port, a SAM fault or a reader that stays
silent `silence_misses` polls in a row closes the port and emits READER_LOST; later polls reopen it and emit
READER_READY when it answers. One late or lost answer (a busy USB-serial bridge, a loaded terminal) is not a lost
reader: the next poll asks again on the open port.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.devices.card_reader import (
    CardEvent, CardEventKind, CardReaderError, CardReadFailed, NoCard, ProtocolError, ReaderTimeout,
)
from kiosk.identity import mask_id

from .reader import SamReader

log = logging.getLogger(__name__)


class CardPoller:
    def __init__(self, path: str, baud: int = 115200, *, interval: float = 0.5, fingerprint: bool = False,
                 removal_misses: int = 2, silence_misses: int = 2, slack: float = 0.0,
                 opener: Callable[..., SamReader] = SamReader.open):
        self.path = path
        self.baud = baud
        self.interval = interval  # seconds between idle polls (~0.5 s in public drivers)
        self.fingerprint = fingerprint
        self.removal_misses = removal_misses
        self.silence_misses = silence_misses
        self.slack = slack
        self._opener = opener
        self._reader: SamReader | None = None
        self._lost_reported = False
        self._present = False
        self._read_pending = False
        self._misses = 0
        self._silent = 0  # idle polls in a row the reader did not answer
        self._due = 0.0

    def poll(self) -> CardEvent | None:
        delay = self._due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._due = time.monotonic() + self.interval
        if self._reader is None:
            return self._connect()
        try:
            if self._read_pending:
                self._due = 0.0
                return self._read()
            return self._watch_field()
        except ReaderTimeout as exc:
            self._silent += 1
            if self._silent < self.silence_misses:
                log.info("no answer from the card reader, asking again", extra={"fields": {"reason": exc.detail}})
                return None
            return self._lose(exc)
        except CardReaderError as exc:  # port gone, no answer, SAM fault, garbled twice
            return self._lose(exc)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _connect(self) -> CardEvent | None:
        try:
            reader = self._opener(self.path, self.baud, slack=self.slack)
        except CardReaderError as exc:
            return self._lose(exc)
        try:
            reader.sam_status()
        except CardReaderError as exc:
            reader.close()
            return self._lose(exc)
        self._reader, self._lost_reported, self._silent = reader, False, 0
        self._present = self._read_pending = False
        log.info("card reader ready", extra={"fields": {"port": self.path, "baud": self.baud}})
        return CardEvent(CardEventKind.READER_READY)

    def _lose(self, error: CardReaderError) -> CardEvent | None:
        self.close()
        self._present = self._read_pending = False
        if self._lost_reported:
            return None
        self._lost_reported = True
        log.warning("card reader lost", extra={"fields": {"port": self.path, "reason": error.detail}})
        return CardEvent(CardEventKind.READER_LOST, error=error)

    def _watch_field(self) -> CardEvent | None:
        try:
            self._reader.find()
        except NoCard:
            self._silent = 0
            if not self._present:
                return None
            self._misses += 1
            if self._misses < self.removal_misses:
                self._due = time.monotonic() + min(self.interval, 0.1)
                return None
            self._present = False
            return CardEvent(CardEventKind.REMOVED)
        self._misses = self._silent = 0
        if self._present:
            return None  # the same card is still there: never read it again
        self._present = self._read_pending = True
        self._due = 0.0
        return CardEvent(CardEventKind.PLACED)

    def _read(self) -> CardEvent:
        self._read_pending = False
        try:
            self._reader.select()
            card = self._reader.read(self.fingerprint)
        except ReaderTimeout as exc:
            # No answer to a read is most often the card leaving mid-read: the student lays it again.
            return CardEvent(CardEventKind.FAILED, error=CardReadFailed(detail=exc.detail))
        except (NoCard, CardReadFailed, ProtocolError) as exc:  # moved away, unreadable, garbled: lay it again
            log.info("card read failed", extra={"fields": {"reason": exc.detail}})
            return CardEvent(CardEventKind.FAILED, error=exc)
        # ReaderFault and ReaderUnavailable propagate to poll(): the reader itself is in trouble
        log.info("card read", extra={"fields": {"id": mask_id(card.id_number), "type": card.card_type.value}})
        return CardEvent(CardEventKind.READ, card=card)


def run(poller: CardPoller, on_event: Callable[[CardEvent], None], stop: threading.Event) -> None:
    """Polls until stop is set, handing every event to on_event (run it in a thread beside the UI)."""
    try:
        while not stop.is_set():
            if (event := poller.poll()) is not None:
                on_event(event)
    finally:
        poller.close()
