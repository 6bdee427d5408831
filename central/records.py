"""Personal data at rest: record JSON and attachment bytes sealed with AES-GCM under a server data key kept outside
the database; ID numbers stored and looked up as keyed HMACs.

The key file (0600, JSON) holds every data key by id and which one is current, plus the HMAC key:
    {"current": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."}, "hmac": "<base64 32 bytes>"}
Its place: Settings.data_key_file, else the file named by $KIOSK_CENTRAL_DATA_KEY, else <data>/keys/data-key.json.
A sealed value names its key: "<key id>:<base64 nonce + ciphertext>" for text, b"KCS1" + id + nonce + ciphertext
for bytes; rows also keep key_id so `kiosk-central rotate-key` finds what to re-seal.

The one pair for record JSON: seal_json() / open_json(). Console and export code read records through open_json.
Key rotation: central/rotate.py.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_KEY_FILE = "KIOSK_CENTRAL_DATA_KEY"
BLOB_MAGIC = b"KCS1"
NONCE = 12


@dataclass
class DataKeys:
    path: Path
    current: str
    keys: dict[str, bytes]
    hmac_key: bytes
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> "DataKeys":
        """Reads the key file, creating it (0600, in a 0700 directory) with a first key when absent."""
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private(path, {"current": "k1", "keys": {"k1": _new_key()}, "hmac": _new_key()})
        data = json.loads(path.read_text())
        return cls(path, data["current"], {k: base64.b64decode(v) for k, v in data["keys"].items()},
                   base64.b64decode(data["hmac"]))

    def rotate(self) -> str:
        """Adds a new key and makes it current (old keys stay: rows sealed under them still open). Returns its id."""
        new_id = f"k{max(int(k[1:]) for k in self.keys) + 1}"
        self.keys[new_id] = base64.b64decode(_new_key())
        self.current = new_id
        _write_private(self.path, {"current": self.current, "hmac": base64.b64encode(self.hmac_key).decode(),
                                   "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}})
        return new_id

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._aead.get(key_id)
        if cipher is None:
            if key_id not in self.keys:  # rotated by `kiosk-central rotate-key` since this process started
                self.keys.update(DataKeys.load(self.path).keys)
            cipher = self._aead[key_id] = AESGCM(self.keys[key_id])
        return cipher

    # -- text (record JSON) ---------------------------------------------------------------------------------------
    def seal_json(self, plaintext: str, context: str) -> str:
        """Sealed text for a payload column; context (e.g. the record id) is bound as associated data."""
        nonce = os.urandom(NONCE)
        sealed = self._cipher(self.current).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open_json(self, stored: str, context: str) -> str:
        if stored.startswith("{"):  # a row written before sealing
            return stored
        key_id, _, blob = stored.partition(":")
        raw = base64.b64decode(blob)
        return self._cipher(key_id).decrypt(raw[:NONCE], raw[NONCE:], context.encode()).decode()

    # -- bytes (attachments) --------------------------------------------------------------------------------------
    def seal_bytes(self, data: bytes, context: str) -> bytes:
        nonce, kid = os.urandom(NONCE), self.current.encode()
        return BLOB_MAGIC + bytes([len(kid)]) + kid + nonce + self._cipher(self.current).encrypt(nonce, data,
                                                                                                 context.encode())

    def open_bytes(self, blob: bytes, context: str) -> bytes:
        if not blob.startswith(BLOB_MAGIC):
            return blob  # stored before sealing
        n = blob[4]
        kid, rest = blob[5:5 + n].decode(), blob[5 + n:]
        return self._cipher(kid).decrypt(rest[:NONCE], rest[NONCE:], context.encode())

    @staticmethod
    def key_of(stored: str | bytes) -> str:
        if isinstance(stored, bytes):
            return stored[5:5 + stored[4]].decode() if stored.startswith(BLOB_MAGIC) else ""
        return stored.partition(":")[0] if not stored.startswith("{") else ""

    # -- lookups ----------------------------------------------------------------------------------------------
    def id_digest(self, id_number: str) -> str:
        """Keyed HMAC-SHA256 of an ID number (upper case): the database's lookup column, never the number."""
        return hmac.new(self.hmac_key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def key_file(configured: str | os.PathLike | None, data_dir: Path) -> Path:
    return Path(configured or os.environ.get(ENV_KEY_FILE) or data_dir / "keys" / "data-key.json")


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write_private(path: Path, data: dict) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

