"""The simulated reader's card and SAM: what it answers to each GA 467 command (pure: no pty, no threads of its
own), with the faults a test can inject. drivers/idcard/simulator.py carries these answers over a pseudo-terminal.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.identity import IdentityCard

from . import text
from .frame import answer
from .reader import wire_time

WLT_MAGIC = bytes.fromhex("574C66007E003200")
FAULTS = ("garbage", "bad_checksum", "truncated", "silence", "status", "remove_mid_read")
# Reads back as 05.01-20101118-0012345678-1234567890 (see SamReader.sam_id).
DEFAULT_SAM_ID = b"".join(n.to_bytes(w, "little") for n, w in ((5, 2), (1, 2), (20101118, 4), (12345678, 4),
                                                             (1234567890, 4)))


@dataclass
class SimCard:
    identity: IdentityCard
    appended_addresses: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict) -> "SimCard":
        identity = IdentityCard.from_json(data)
        if not identity.photo_wlt:  # a stand-in photo with the WLT signature, stable per card
            seed = hashlib.sha256(identity.id_number.encode()).digest()
            filler = (seed * (1024 // len(seed) + 1))[: 1024 - len(WLT_MAGIC)]
            identity = IdentityCard(**{**identity.__dict__, "photo_wlt": WLT_MAGIC + filler})
        return cls(identity, list(data.get("appended_addresses", [])))

    @classmethod
    def load(cls, path: str | Path) -> "SimCard":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass
class Fault:
    name: str
    code: int = 0x41
    on: str | None = None  # command name (see reader.COMMANDS) or None for the next answer
    times: int = 1


class Responder:
    """The card in the field (or not) and the SAM's answers; thread-safe (the transport and the control socket
    call it from their own threads)."""

    def __init__(self, card: SimCard | None = None, *, sam_id: bytes = DEFAULT_SAM_ID, read_delay: float = 0.0,
                 halt_after_read: bool = False):
        self.card = card
        self.sam_id_bytes = sam_id
        self.read_delay = read_delay  # seconds the SAM spends on the RF exchange of a read (0: wire time only)
        # Many readers leave a card halted after a successful read: find fails until it is lifted and laid again.
        self.halt_after_read = halt_after_read
        self.present = False
        self.selected = False
        self.halted = False
        self._faults: deque[Fault] = deque()
        self._lock = threading.RLock()

    def place(self, card: SimCard | None = None) -> None:
        with self._lock:
            self.card = card or self.card
            self.present = self.card is not None
            self.selected = self.halted = False

    def remove(self) -> None:
        with self._lock:
            self.present = self.selected = False

    def inject(self, name: str, code: int = 0x41, on: str | None = None, times: int = 1) -> None:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        with self._lock:
            self._faults.append(Fault(name, code, on, times))

    def respond(self, name: str, payload: bytes, baud: int) -> bytes | None:
        """The frame to send for one request (None: stay silent), faults applied."""
        fault = self._take_fault(name)
        frame = self._answer(name, payload, fault)
        if fault is None:
            return frame
        if fault.name == "silence":
            return None
        if fault.name == "remove_mid_read":
            self.remove()
            time.sleep(wire_time(len(frame), baud) / 2)
            return answer(0x41)
        if fault.name == "garbage":
            return bytes.fromhex("00FF13AAAA5A96AA") + os.urandom(9).replace(b"\xaa", b"\x55") + frame
        if fault.name == "bad_checksum":
            return frame[:-1] + bytes([frame[-1] ^ 0x5A])
        if fault.name == "truncated":
            return frame[: max(8, len(frame) // 2)]
        return frame

    def _take_fault(self, name: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.on in (None, name):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _answer(self, name: str, payload: bytes, fault: Fault | None) -> bytes:
        if fault and fault.name == "status":
            return answer(fault.code)
        with self._lock:
            card, present = self.card, self.present
            if name == "find":
                return answer(0x9F, bytes(4)) if present and not self.halted else answer(0x80)
            if name == "select":
                self.selected = present
                return answer(0x90, bytes(8)) if present else answer(0x81)
            selected = self.selected
        if name in ("sam_status", "reset", "set_baud", "set_frame_size"):
            return answer(0x90)
        if name == "sam_id":
            return answer(0x90, self.sam_id_bytes)
        if name in ("read", "read_fp", "read_address"):
            if not (present and selected):
                return answer(0x41)
            time.sleep(self.read_delay)
            with self._lock:
                self.halted = self.halt_after_read and name != "read_address"
            return self._read_answer(name, card)
        return answer(0x21)

    def _read_answer(self, name: str, card: SimCard) -> bytes:
        identity = card.identity
        if name == "read_address":
            if not card.appended_addresses:
                return answer(0x91)
            return answer(0x90, card.appended_addresses[-1].ljust(35).encode("utf-16-le")[:70])
        block, photo = text.encode(identity), identity.photo_wlt
        heads = len(block).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
        if name == "read_fp":
            fingerprint = identity.fingerprint
            return answer(0x90, heads + len(fingerprint).to_bytes(2, "big") + block + photo + fingerprint)
        return answer(0x90, heads + block + photo)
