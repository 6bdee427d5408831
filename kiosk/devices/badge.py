"""Operator badges: what the core sees of a smart-card reader, the operator records, and PIN hashing.

A badge is any contactless card; its UID (read by the driver with FF CA 00 00 00) is registered to one operator,
who also knows a PIN. The registry is a Protocol so the local store can back it later; drivers/badge has a
JSON-file implementation.

Besides cards coming and going, a reader reports itself: READER_LOST when the smart-card service (pcscd) or the
reader goes away (every badge it saw counts as removed first), READER_READY when it is usable again.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Protocol

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class BadgeEventKind(str, enum.Enum):
    INSERTED = "inserted"  # .uid set, or None when the card did not give one
    REMOVED = "removed"
    READER_LOST = "reader_lost"  # .reason says why; badges seen before were reported REMOVED first
    READER_READY = "reader_ready"  # usable again after READER_LOST


class ReaderLostReason(str, enum.Enum):
    SERVICE = "service"  # the smart-card service (pcscd) does not answer: stopped, crashed, restarting
    NO_READER = "no_reader"  # the service runs but no matching reader is attached


@dataclass(frozen=True)
class BadgeEvent:
    kind: BadgeEventKind
    reader: str
    uid: str | None = None  # upper-case hex, e.g. "04A1B2C3D4E5F6"
    reason: ReaderLostReason | None = None  # READER_LOST only


class BadgeReader(Protocol):
    def next_event(self, timeout: float) -> BadgeEvent | None:
        """The next insert/remove event, or None after timeout seconds."""
        ...

    def close(self) -> None: ...


ROLES = ("operator", "supervisor")  # supervisor: may also approve what an operator may not (decided by the core)


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    badge_uid: str
    pin_hash: str  # hash_pin() output, never the PIN
    role: str = "operator"  # one of ROLES; registries written before roles existed read as "operator"


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


OPERATOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
PIN = re.compile(r"[0-9]{6,12}")
UID = re.compile(r"(?:[0-9A-F]{2}){4,10}")  # 4, 7 and 10 bytes are the ISO 14443 sizes; ISO 15693 has 8


def normalise_uid(uid: str) -> str:
    """'04:a1 b2...' -> '04A1B2...'."""
    return uid.replace(":", "").replace(" ", "").replace("-", "").upper()


def check_operator_id(operator_id: str) -> str | None:
    """None if the id is acceptable, else a Chinese message."""
    if not OPERATOR_ID.fullmatch(operator_id):
        return "工号须为1至32位字母、数字或 _ . -，且以字母或数字开头"
    return None


def check_badge_uid(uid: str) -> str | None:
    if not UID.fullmatch(normalise_uid(uid)):
        return "卡号须为8至20位十六进制数字（可用 kiosk-provision operator read-badge 读取）"
    return None


def check_pin(pin: str) -> str | None:
    """None if the PIN may be used, else a Chinese message: 6 to 12 digits, not one digit repeated, not a run."""
    if not PIN.fullmatch(pin):
        return "PIN码须为6至12位数字"
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    if steps in ({0}, {1}, {-1}):
        return "PIN码过于简单（如 111111、123456），请换一个"
    return None
