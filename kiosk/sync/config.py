"""Pulled configuration (policies, school list, roster), kept on disk as the last good copy for offline use.

Policies land in <sync_dir>/config/policies/*.json: point KIOSK_POLICY_DIR (or load_policies(extra_dir)) there.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import httpx

from kiosk.policy import Policy

from .files import read_json, write_atomic, write_json
from .wire import API, ConfigResponse

log = logging.getLogger(__name__)


class ConfigCache:
    def __init__(self, sync_dir: str | os.PathLike):
        self.dir = Path(sync_dir) / "config"
        self.policy_dir = self.dir / "policies"
        self.file = self.dir / "config.json"

    def last_good(self) -> ConfigResponse | None:
        data = read_json(self.file)
        return ConfigResponse.model_validate(data["config"]) if data else None

    @property
    def etag(self) -> str | None:
        return (read_json(self.file) or {}).get("etag")

    def pull(self, client: httpx.Client) -> bool:
        """Fetches the configuration; True if a new copy was saved. Raises httpx errors (the old copy stays)."""
        headers = {"If-None-Match": self.etag} if self.etag and self.file.exists() else {}
        response = client.get(f"{API}/config", headers=headers)
        if response.status_code == 304:
            return False
        response.raise_for_status()
        config = ConfigResponse.model_validate_json(response.content)
        for document in config.policies:
            Policy.model_validate(document)  # a bad policy never replaces the last good copy
        self.save(config, response.headers.get("etag"))
        return True

    def save(self, config: ConfigResponse, etag: str | None) -> None:
        for document in config.policies:
            write_atomic(self.policy_dir / f"{document['name']}.json",
                         json.dumps(document, ensure_ascii=False, indent=1).encode())
        write_json(self.file, {"etag": etag, "config": config.model_dump(mode="json")}, mode=0o600)  # roster inside
        log.info("config saved", extra={"fields": {"policies": len(config.policies), "schools": len(config.schools),
                                                   "roster": len(config.roster)}})
