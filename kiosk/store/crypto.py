"""The device key: personal data at rest is sealed with AES-256-GCM; lookups by ID number use an HMAC of it.

The key is 32 random bytes in a file of mode 0600 made at first start (provisioning puts it on the appliance's
protected partition). Losing the key makes the local copies unreadable, which is acceptable for records that the
server has confirmed and is the point for a stolen disk.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import KioskError, SealBroken


class DeviceKey:
    def __init__(self, secret: bytes):
        if len(secret) != 32:
            raise ValueError("device key must be 32 bytes")
        self._aead = AESGCM(hashlib.sha256(b"kiosk-seal" + secret).digest())
        self._lookup = hashlib.sha256(b"kiosk-lookup" + secret).digest()

    @classmethod
    def load_or_create(cls, path: str | os.PathLike) -> "DeviceKey":
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
                f.flush()
                os.fsync(f.fileno())
        if path.stat().st_mode & 0o077:
            raise KioskError("设备密钥文件权限不安全，请联系技术人员", detail=f"key file {path} is not mode 0600")
        return cls(path.read_bytes())

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """nonce || ciphertext; context (table and row identity) is bound as associated data."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], context.encode())
        except InvalidTag:
            raise SealBroken(f"seal check failed for {context}") from None

    def derive(self, label: str) -> bytes:
        """A 32-byte key for another purpose (e.g. "kiosk-form-signing/v1"), independent of the sealing key."""
        return hmac.new(self._lookup, b"derive:" + label.encode(), hashlib.sha256).digest()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._lookup, value.encode(), hashlib.sha256).hexdigest()
