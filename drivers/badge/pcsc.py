"""BadgeReader over PC/SC: a monitor thread on pyscard's scard layer reports badges and the reader's health.

Why not pyscard's CardMonitor: it is a process-wide singleton whose thread ends for good on SCARD_E_NO_SERVICE
(pcscd restarted or crashed), so badges are never seen again until the app restarts, and its CardRequest releases
its PC/SC context only in __del__, which prints "Exception ignored ... Invalid handle" at exit once pcscd is gone.

This monitor owns its context and releases it explicitly. It waits in SCardGetStatusChange (which returns at once
with an RPC or no-service error when pcscd goes away, and at the latest every `poll` seconds), watching the
matching readers and pcsc-lite's "\\\\?PnP?\\Notification" pseudo-reader for readers coming and going. When the
service or the reader is lost it reports every badge it saw as removed, then READER_LOST, then tries to establish a
new context every `retry` seconds; once a matching reader is back it reports READER_READY and watches again.
A badge's UID is read with FF CA 00 00 00 as soon as it is seen.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kiosk.devices.badge import BadgeEvent, BadgeEventKind, ReaderLostReason

from .events import QueuedReader

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]  # PC/SC part 3 "get data": the contactless card's UID
PNP_READER = "\\\\?PnP?\\Notification"
UID_ATTEMPTS = 3
UID_RETRY_DELAY = 0.1  # seconds between attempts to read a badge's UID


class _ContextLost(Exception):
    """The PC/SC context no longer works: pcscd stopped, crashed or restarted."""


@dataclass
class _Slot:
    state: int = 0  # last dwEventState (0: SCARD_STATE_UNAWARE)
    uid: str | None = None
    present: bool = False

    @property
    def counter(self) -> int:
        return (self.state >> 16) & 0xFFFF  # pcsc-lite counts card events in the upper 16 bits


class PcscBadgeReader(QueuedReader):
    """Implements kiosk.devices.badge.BadgeReader; reader_filter keeps only readers whose name contains it."""

    def __init__(self, reader_filter: str = "", *, poll: float = 1.0, retry: float = 1.0):
        from smartcard import scard

        self._scard = scard
        self.reader_filter = reader_filter
        self.poll = poll
        self.retry = retry
        super().__init__()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _context against close() cancelling it while it is released
        self._context: int | None = None
        self._slots: dict[str, _Slot] = {}
        self._lost: ReaderLostReason | None = None
        self._ready = threading.Event()  # the first look at the readers is done (ready or lost)
        self._thread = threading.Thread(target=self._run, name="badge-monitor", daemon=True)
        self._thread.start()

    # --- BadgeReader ------------------------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._context is not None:
                self._scard.SCardCancel(self._context)  # wakes SCardGetStatusChange
        self._thread.join()

    @property
    def lost(self) -> ReaderLostReason | None:
        """Why the reader cannot be used right now, or None while it can."""
        return self._lost

    def wait_started(self, timeout: float | None = None) -> bool:
        """True once the monitor has looked at the readers at least once."""
        return self._ready.wait(timeout)

    # --- the monitor thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        scard = self._scard
        while not self._stop.is_set():
            result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if result != scard.SCARD_S_SUCCESS:
                self._set_lost(ReaderLostReason.SERVICE, result)
                self._stop.wait(self.retry)
                continue
            with self._lock:
                self._context = context
            try:
                self._watch(context)
            except _ContextLost as exc:
                self._set_lost(ReaderLostReason.SERVICE, exc.args[0])
                self._stop.wait(self.retry)
            except Exception:  # the monitor must outlive any surprise, or badges are never seen again
                log.exception("badge monitor failed; starting over")
                self._set_lost(ReaderLostReason.SERVICE, 0)
                self._stop.wait(self.retry)
            finally:
                with self._lock:
                    self._context = None
                scard.SCardReleaseContext(context)  # an error here (service gone) only means nothing to free
        self._forget_cards()

    def _watch(self, context: int) -> None:
        """Follows the matching readers until stopped; raises _ContextLost when the service goes away."""
        while not self._stop.is_set():
            names = self._list_readers(context)
            for gone in set(self._slots) - set(names):
                self._emit_removed(gone)
                del self._slots[gone]
            for name in names:
                self._slots.setdefault(name, _Slot())
            if names:
                self._set_ready(names)
            else:
                self._set_lost(ReaderLostReason.NO_READER, self._scard.SCARD_E_NO_READERS_AVAILABLE)
            self._follow(context, names)

    def _follow(self, context: int, names: list[str]) -> None:
        """Waits for changes on the readers; returns when the reader list must be read again."""
        scard = self._scard
        pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            states = [(name, self._slots[name].state) for name in names] + [(PNP_READER, pnp_state)]
            result, changed = scard.SCardGetStatusChange(context, int(self.poll * 1000), states)
            if result == scard.SCARD_E_TIMEOUT and not names:
                return  # no reader yet: also look again now and then, in case one came just before the wait
            if result in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                continue
            if result == scard.SCARD_E_UNKNOWN_READER:
                return  # a reader went away between listing and waiting
            if result != scard.SCARD_S_SUCCESS:
                raise _ContextLost(result)
            relist = False
            for name, event_state, _atr in changed:
                if name == PNP_READER:
                    relist |= bool(event_state & scard.SCARD_STATE_CHANGED)  # a reader came or went
                    pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                elif event_state & scard.SCARD_STATE_UNKNOWN:
                    relist = True  # the reader is gone
                else:
                    self._update(context, name, event_state)  # UNAVAILABLE (reader busy or broken): no badge
            if relist:
                return

    def _list_readers(self, context: int) -> list[str]:
        scard = self._scard
        result, names = scard.SCardListReaders(context, [])
        if result == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if result != scard.SCARD_S_SUCCESS:
            raise _ContextLost(result)
        return sorted(name for name in names if self.reader_filter in name)

    def _update(self, context: int, name: str, event_state: int) -> None:
        scard = self._scard
        slot = self._slots[name]
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        counter = (event_state >> 16) & 0xFFFF
        swapped = slot.present and present and slot.state and counter != slot.counter
        slot.state = event_state & ~scard.SCARD_STATE_CHANGED
        if slot.present and (not present or swapped):
            self._emit_removed(name)
        if present and (not slot.present or swapped):
            slot.present, slot.uid = True, self._read_uid(context, name)
            self._events.put(BadgeEvent(BadgeEventKind.INSERTED, name, slot.uid))

    def _read_uid(self, context: int, name: str) -> str | None:
        """The badge's UID as upper-case hex, or None if the card or reader refuses.

        A card that has only just entered the field, or whose reader missed its previous removal, may fail the
        first exchange: the card is reset and asked again, a few times, before giving up.
        """
        scard = self._scard
        result, card, protocol = scard.SCardConnect(context, name, scard.SCARD_SHARE_SHARED,
                                                    scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if result != scard.SCARD_S_SUCCESS:
            log.info("badge connect failed", extra={"fields": {"error": _hex(result)}})
            return None
        try:
            for attempt in range(UID_ATTEMPTS):
                if attempt:
                    if self._stop.wait(UID_RETRY_DELAY):
                        return None
                    result, protocol = scard.SCardReconnect(card, scard.SCARD_SHARE_SHARED,
                                                            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                                                            scard.SCARD_RESET_CARD)
                    if result != scard.SCARD_S_SUCCESS:
                        log.info("badge reconnect failed", extra={"fields": {"error": _hex(result)}})
                        continue
                result, response = scard.SCardTransmit(card, protocol, GET_UID)
                if result == scard.SCARD_S_SUCCESS:
                    break
                log.info("badge UID exchange failed", extra={"fields": {"error": _hex(result), "attempt": attempt}})
            else:
                return None
            if len(response) < 3 or response[-2:] != [0x90, 0x00]:
                log.info("badge refused its UID", extra={"fields": {"sw": bytes(response[-2:]).hex()}})
                return None
            return bytes(response[:-2]).hex().upper()
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    def _emit_removed(self, name: str) -> None:
        slot = self._slots.get(name)
        if slot is not None and slot.present:
            slot.present, slot.uid = False, None
            self._events.put(BadgeEvent(BadgeEventKind.REMOVED, name))

    def _forget_cards(self) -> None:
        for name in list(self._slots):
            self._emit_removed(name)
        self._slots.clear()

    def _set_lost(self, reason: ReaderLostReason, code: int) -> None:
        if reason is ReaderLostReason.SERVICE:
            self._forget_cards()  # the next context starts from scratch: every badge is new again
        if self._lost is not reason:
            log.warning("badge reader lost", extra={"fields": {"reason": reason.value, "error": _hex(code)}})
            self._lost = reason
            self._events.put(BadgeEvent(BadgeEventKind.READER_LOST, self.reader_filter, reason=reason))
        self._ready.set()

    def _set_ready(self, names: list[str]) -> None:
        if self._lost is not None:
            log.info("badge reader ready", extra={"fields": {"readers": names}})
            self._lost = None
            self._events.put(BadgeEvent(BadgeEventKind.READER_READY, names[0]))
        self._ready.set()


def _hex(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"
