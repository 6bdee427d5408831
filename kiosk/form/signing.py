"""Signatures on the form's QR payload: the terminal's Ed25519 key, the one it enrolls with, so central checks paper
it did not print against the enrolled public key (central/console/paper.py) and the terminal checks its own.

The key is <data_dir>/sync/terminal.key (kiosk.paths, kiosk.sync.identity): made on first use if the terminal has
not enrolled yet, and enrollment then sends its public part.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"


@runtime_checkable
class Signer(Protocol):
    algorithm: str  # short tag written into the payload

    def sign(self, data: bytes) -> bytes:
        ...

    def verify(self, data: bytes, signature: bytes) -> bool:
        ...


def verify_ed25519(public_key: bytes, data: bytes, signature: bytes) -> bool:
    """Whether signature is public_key's Ed25519 signature of data (a malformed key or signature: False)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


class Ed25519Signer:
    algorithm = ALGORITHM

    def __init__(self, key: Ed25519PrivateKey):
        self._key = key
        self.public_key = key.public_key().public_bytes_raw()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def verify(self, data: bytes, signature: bytes) -> bool:
        return verify_ed25519(self.public_key, data, signature)


def terminal_signer(store_or_data_dir) -> Ed25519Signer:
    """The signer of this terminal: from its data directory, or from the store kept in it (<data_dir>/kiosk.db)."""
    from kiosk.paths import TerminalPaths
    from kiosk.sync.identity import KEY_FILE, load_or_create_key

    path = getattr(store_or_data_dir, "path", None)
    data_dir = Path(path).parent if path is not None else Path(store_or_data_dir)
    sync_dir = TerminalPaths(data_dir).sync_dir
    sync_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Ed25519Signer(load_or_create_key(sync_dir / KEY_FILE))
