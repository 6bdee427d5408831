"""The serial driver: one method per reader command, each with its own time budget, over any pyserial port."""
from __future__ import annotations

import logging
import time
from typing import NamedTuple

from kiosk.devices.card_reader import (
    CardReadFailed, ProtocolError, ReaderFault, ReaderTimeout, ReaderUnavailable,
)
from kiosk.identity import IdentityCard

from . import text
from .frame import NO_CONTENT, FrameParser, Response, check, request

log = logging.getLogger(__name__)

BAUD_RATES = (115200, 57600, 38400, 19200, 9600)  # index = PARA of the set-baud command (60 0x)


class Command(NamedTuple):
    name: str
    cmd: int
    para: int
    budget: float  # seconds the reader may think, on top of the wire time of the answer
    answer_size: int  # the longest answer frame in bytes
    idempotent: bool = True  # safe to resend once after a garbled answer


RESET = Command("reset", 0x10, 0xFF, 1.0, 11, idempotent=False)
SAM_STATUS = Command("sam_status", 0x11, 0xFF, 0.3, 11)
SAM_ID = Command("sam_id", 0x12, 0xFF, 0.3, 27)
FIND = Command("find", 0x20, 0x01, 0.1, 15)
SELECT = Command("select", 0x20, 0x02, 0.1, 19)
READ = Command("read", 0x30, 0x01, 2.0, 1295, idempotent=False)
READ_FP = Command("read_fp", 0x30, 0x10, 3.0, 2321, idempotent=False)
READ_ADDRESS = Command("read_address", 0x30, 0x03, 1.5, 81, idempotent=False)
SET_BAUD = Command("set_baud", 0x60, 0x00, 0.3, 11, idempotent=False)
SET_FRAME_SIZE = Command("set_frame_size", 0x61, 0xFF, 0.3, 11)
COMMANDS = {c.name: c for c in (RESET, SAM_STATUS, SAM_ID, FIND, SELECT, READ, READ_FP, READ_ADDRESS, SET_BAUD,
                                SET_FRAME_SIZE)}
BY_CODE = {(c.cmd, c.para): c for c in COMMANDS.values()} | {(0x60, p): SET_BAUD for p in range(len(BAUD_RATES))}


def wire_time(size: int, baud: int) -> float:
    """Seconds that size bytes take on an 8N1 line (10 bits per byte)."""
    return size * 10 / baud


class SamReader:
    """GA 467 commands over an open serial port (pyserial Serial or anything with read/write/timeout)."""

    def __init__(self, port, baud: int = 115200, slack: float = 0.0):
        self.port = port
        self.baud = baud
        self.slack = slack  # extra seconds on every budget (slow links, loaded test machines)

    @classmethod
    def open(cls, path: str, baud: int = 115200, slack: float = 0.0) -> "SamReader":
        import serial

        try:
            port = serial.Serial(path, baud, timeout=0.1, write_timeout=1.0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ReaderUnavailable(detail=f"cannot open {path}: {exc.__class__.__name__}") from None
        return cls(port, baud, slack)

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # closing a vanished port must not fail the caller
            log.debug("close failed", exc_info=True)

    # --- transport -------------------------------------------------------------------------------------------

    def transact(self, command: Command, data: bytes = b"", para: int | None = None) -> Response:
        """Sends one command and returns its answer; raises the answer's typed error on a failure status."""
        attempts = 2 if command.idempotent else 1
        for attempt in range(attempts):
            try:
                return check(self._exchange(command, data, command.para if para is None else para))
            except ProtocolError:
                if attempt + 1 == attempts:
                    raise
                log.info("garbled answer, resending", extra={"fields": {"command": command.name}})
        raise AssertionError("unreachable")

    def _exchange(self, command: Command, data: bytes, para: int) -> Response:
        import termios

        import serial

        frame = request(command.cmd, para, data)
        deadline = time.monotonic() + command.budget + self.slack + wire_time(command.answer_size + len(frame),
                                                                              self.baud)
        parser = FrameParser()
        try:
            self.port.reset_input_buffer()
            self.port.write(frame)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ReaderTimeout(detail=f"{command.name}: no answer in time ({parser.pending()} bytes)")
                self.port.timeout = remaining
                chunk = self.port.read(parser.needed())
                if chunk and (frames := parser.feed(chunk)):
                    return Response.from_payload(frames[0])
        except (serial.SerialException, OSError, termios.error) as exc:  # unplugged: EIO, hang-up, vanished
            raise ReaderUnavailable(detail=f"{command.name}: port failed: {exc.__class__.__name__}") from None

    # --- commands --------------------------------------------------------------------------------------------

    def sam_status(self) -> None:
        self.transact(SAM_STATUS)

    def sam_id(self) -> str:
        """The SAM's 16-byte id as the usual dotted form: 2 bytes . 2 bytes - 4 - 4 - 4 (little-endian ints)."""
        raw = self.transact(SAM_ID).data
        if len(raw) != 16:
            raise ProtocolError(detail=f"SAM id of {len(raw)} bytes")
        nums = [int.from_bytes(raw[a:b], "little") for a, b in ((0, 2), (2, 4), (4, 8), (8, 12), (12, 16))]
        return f"{nums[0]:02d}.{nums[1]:02d}-{nums[2]:08d}-{nums[3]:010d}-{nums[4]:010d}"

    def reset(self) -> None:
        self.transact(RESET)

    def find(self) -> None:
        """Raises NoCard when no card is in the field."""
        self.transact(FIND)

    def select(self) -> None:
        self.transact(SELECT)

    def read(self, fingerprint: bool = False) -> IdentityCard:
        """Reads text + photo (30 01) or text + photo + fingerprint (30 10) of a found and selected card."""
        data = self.transact(READ_FP if fingerprint else READ).data
        heads = 3 if fingerprint else 2
        sizes = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(heads)]
        if len(data) < 2 * heads or len(data) != 2 * heads + sum(sizes) or sizes[0] != text.TEXT_SIZE:
            raise CardReadFailed(detail=f"read answer of {len(data)} bytes does not match its lengths {sizes}")
        body = data[2 * heads :]
        photo_end = sizes[0] + sizes[1]
        return text.decode(body[: sizes[0]], photo_wlt=body[sizes[0] : photo_end], fingerprint=body[photo_end:])

    def read_appended_address(self) -> str | None:
        """The appended (new) address written after issue, or None when the card has none."""
        try:
            data = self.transact(READ_ADDRESS).data
        except CardReadFailed as exc:
            if exc.code == NO_CONTENT:
                return None
            raise
        try:
            return data.decode("utf-16-le").rstrip(" \0") or None
        except UnicodeDecodeError:
            raise CardReadFailed(detail="undecodable appended address") from None

    def read_card(self, fingerprint: bool = False) -> IdentityCard:
        """find + select + read of the card now in the field."""
        self.find()
        self.select()
        return self.read(fingerprint)

    def set_baud(self, baud: int) -> None:
        """Switches reader and port to baud (one of BAUD_RATES)."""
        if baud not in BAUD_RATES:
            raise ReaderFault(detail=f"unsupported baud {baud}")
        self.transact(SET_BAUD, para=BAUD_RATES.index(baud))
        time.sleep(0.005)  # the reader needs ~5 ms after a baud change
        try:
            self.port.baudrate = baud
        except (OSError, ValueError) as exc:  # SerialException is an OSError
            raise ReaderUnavailable(detail=f"set_baud: port failed: {exc.__class__.__name__}") from None
        self.baud = baud


def wait_until_ready(reader: SamReader, timeout: float) -> None:
    """Polls SAM status until the SAM answers (it needs ~2 s after power-on); re-raises the last failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            reader.sam_status()
            return
        except (ReaderTimeout, ProtocolError):
            if time.monotonic() >= deadline:
                raise
