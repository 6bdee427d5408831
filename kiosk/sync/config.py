"""Pulled configuration (policies, school list, roster; a point's return-to-hukou list; a school's password key and
fingerprints), kept on disk as the last good copy for offline use.

Policies land in <sync_dir>/config/policies/*.json: point KIOSK_POLICY_DIR (or load_policies(extra_dir)) there.
A response is used only when it carries the signature of the server key pinned at enrollment; policy names
become file names, so only kiosk.wire.POLICY_NAME is taken. The cached copy (the roster holds names and ID
numbers, the school's password key and fingerprints) is sealed with AES-GCM under a key derived from the
terminal's device key. A policy's document file name
(written by the terminal) must be one plain component too (kiosk.wire.FILE_NAME).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.policy import Policy
from kiosk.wire import API, FILE_NAME, POLICY_NAME, ConfigResponse

from .files import write_atomic
from .identity import KEY_FILE, load_or_create_key

log = logging.getLogger(__name__)
SEALED_FILE = "config.sealed"


class ConfigCache:
    def __init__(self, sync_dir: str | os.PathLike):
        self.sync_dir = Path(sync_dir)
        self.dir = self.sync_dir / "config"
        self.policy_dir = self.dir / "policies"
        self.file = self.dir / SEALED_FILE
        self._aead: AESGCM | None = None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raw = load_or_create_key(self.sync_dir / KEY_FILE).private_bytes_raw()
            key = HKDF(hashes.SHA256(), 32, salt=None, info=b"kiosk config cache v1").derive(raw)
            self._aead = AESGCM(key)
        return self._aead

    def _read(self) -> dict | None:
        try:
            blob = self.file.read_bytes()
            return json.loads(self._cipher().decrypt(blob[:12], blob[12:], b"config"))
        except (FileNotFoundError, InvalidTag, ValueError):
            return None

    def last_good(self) -> ConfigResponse | None:
        data = self._read()
        return ConfigResponse.model_validate(data["config"]) if data else None

    @property
    def etag(self) -> str | None:
        return (self._read() or {}).get("etag")

    def pull(self, client: httpx.Client) -> bool:
        """Fetches the configuration; True if a new copy was saved. Raises httpx errors or ValueError (a response
        not signed by the pinned server key, a bad policy or policy name); the old copy stays."""
        etag = self.etag
        headers = {"If-None-Match": etag} if etag else {}
        response = client.get(f"{API}/config", headers=headers)
        if response.status_code == 304:
            return False
        response.raise_for_status()
        identity = getattr(client.auth, "identity", None)
        if identity is None:
            raise ValueError("config pulled without a terminal identity: cannot verify the server")
        identity.verify_response(response)
        config = ConfigResponse.model_validate_json(response.content)
        for document in config.policies:
            policy = Policy.model_validate(document)  # a bad policy never replaces the last good copy
            if not POLICY_NAME.fullmatch(policy.name):
                raise ValueError("policy name is not a plain file name")
            if not FILE_NAME.fullmatch(policy.document.filename) or ".." in policy.document.filename:
                raise ValueError("policy document file name is not a plain file name")
        self.save(config, response.headers.get("etag"))
        return True

    def save(self, config: ConfigResponse, etag: str | None) -> None:
        for document in config.policies:
            name = document["name"]
            if not POLICY_NAME.fullmatch(name):
                raise ValueError("policy name is not a plain file name")
            target = self.policy_dir / f"{name}.json"
            if target.resolve().parent != self.policy_dir.resolve():
                raise ValueError("policy file outside the policy folder")
            write_atomic(target, json.dumps(document, ensure_ascii=False, indent=1).encode())
        plain = json.dumps({"etag": etag, "config": config.model_dump(mode="json")}, ensure_ascii=False).encode()
        nonce = os.urandom(12)
        write_atomic(self.file, nonce + self._cipher().encrypt(nonce, plain, b"config"), mode=0o600)
        (self.dir / "config.json").unlink(missing_ok=True)  # an unsealed copy of an older version
        log.info("config saved", extra={"fields": {"policies": len(config.policies), "schools": len(config.schools),
                                                   "roster": len(config.roster),
                                                   "return_candidates": len(config.return_candidates),
                                                   "password_fingerprints": len(config.password_taken)}})
