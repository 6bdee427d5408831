"""Signatures on the form's QR payload: a small Signer protocol and an HMAC implementation from the device key.

HMAC proves the paper to the terminal that printed it (the key never leaves it). An Ed25519 signer whose public
part the central server knows can implement the same protocol later, so the server can check paper too.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Protocol, runtime_checkable

from kiosk.store import DeviceKey

HMAC_LABEL = "kiosk-form-signing/v1"


@runtime_checkable
class Signer(Protocol):
    algorithm: str  # short tag written into the payload, e.g. "hs256", "ed25519"

    def sign(self, data: bytes) -> bytes:
        ...

    def verify(self, data: bytes, signature: bytes) -> bool:
        ...


class HmacSigner:
    algorithm = "hs256"

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("HMAC secret must be at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_device_key(cls, key: DeviceKey) -> "HmacSigner":
        return cls(key.derive(HMAC_LABEL))

    def sign(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()

    def verify(self, data: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.sign(data), signature)
