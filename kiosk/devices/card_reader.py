"""What the core sees of an ID card reader: events, typed errors with Chinese messages, and the reader Protocol.

Drivers (drivers/idcard) map the reader's status codes onto these errors, so the core never sees a status byte.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from kiosk.errors import KioskError
from kiosk.identity import IdentityCard

PLACE_CARD = "请将身份证放在感应区"
REPLACE_CARD = "读卡失败，请移开身份证后重新放置"
CALL_STAFF = "读卡器故障，请联系工作人员"


class CardReaderError(KioskError):
    """Any failure of the card reader; .code is the reader's SW3 status byte when it gave one."""

    exit_code = 3
    default_message = CALL_STAFF

    def __init__(self, message: str | None = None, *, detail: str = "", code: int | None = None):
        super().__init__(message or self.default_message, detail=detail)
        self.code = code


class NoCard(CardReaderError):
    """No card in the field (find or select failed): the student should place the card."""

    default_message = PLACE_CARD


class CardReadFailed(CardReaderError):
    """The card was found but could not be read (moved, authentication, bad data): lift it and lay it again."""

    default_message = REPLACE_CARD


class ReaderFault(CardReaderError):
    """The reader or its SAM misbehaves (command errors, SAM self-test): staff must look at it."""

    default_message = CALL_STAFF


class ReaderTimeout(ReaderFault):
    """The reader did not answer within the command's time budget."""


class ReaderUnavailable(ReaderFault):
    """The serial port is missing or was unplugged; the driver keeps trying to reopen it."""

    default_message = "读卡器未连接，请联系工作人员"


class ProtocolError(CardReaderError):
    """Bytes from the reader do not form a valid frame (checksum, length): usually a passing line glitch."""

    default_message = REPLACE_CARD


class CardEventKind(str, enum.Enum):
    PLACED = "placed"  # a card entered the field (find succeeded)
    READ = "read"  # its data was read: .card is set
    FAILED = "failed"  # reading it failed: .error is set; lift and lay the card again
    REMOVED = "removed"  # the card left the field
    READER_LOST = "reader_lost"  # port vanished or the reader stopped answering: .error is set
    READER_READY = "reader_ready"  # the reader answers (at start, and after it came back)


@dataclass(frozen=True)
class CardEvent:
    kind: CardEventKind
    card: IdentityCard | None = None
    error: CardReaderError | None = None

    def as_json(self) -> dict:
        data: dict = {"event": self.kind.value}
        if self.card is not None:
            data["card"] = self.card.as_json()
        if self.error is not None:
            data["error"] = self.error.message
            data["code"] = self.error.code
        return data


class CardReader(Protocol):
    """A reader the session polls: one poll() per tick (the driver paces itself, ~0.5 s per idle poll)."""

    def poll(self) -> CardEvent | None:
        """Does one step of the polling loop; returns an event when something changed, else None."""
        ...

    def close(self) -> None: ...
