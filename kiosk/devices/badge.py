"""Operator badges: what the core sees of a smart-card reader, the operator records, and PIN hashing.

A badge is any contactless card; its UID (read by the driver with FF CA 00 00 00) is registered to one operator,
who also knows a PIN. The registry is a Protocol so the local store can back it later; drivers/badge has a
JSON-file implementation.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Protocol

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class BadgeEventKind(str, enum.Enum):
    INSERTED = "inserted"  # .uid set, or None when the card did not give one
    REMOVED = "removed"


@dataclass(frozen=True)
class BadgeEvent:
    kind: BadgeEventKind
    reader: str
    uid: str | None = None  # upper-case hex, e.g. "04A1B2C3D4E5F6"


class BadgeReader(Protocol):
    def next_event(self, timeout: float) -> BadgeEvent | None:
        """The next insert/remove event, or None after timeout seconds."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    badge_uid: str
    pin_hash: str  # hash_pin() output, never the PIN


class OperatorRegistry(Protocol):
    def by_badge(self, uid: str) -> Operator | None: ...

    def add(self, operator: Operator) -> None: ...

    def remove(self, operator_id: str) -> None: ...


def hash_pin(pin: str) -> str:
    """scrypt with a random salt, as 'scrypt$N$r$p$salt$hash' (hex)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)
