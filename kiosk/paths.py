"""The terminal's data layout: every file the kiosk keeps, derived from one data directory.

Every entry point (the touch app, the robot, the `kiosk` and `kiosk-provision` commands, the installed service)
finds its files here and nowhere else. The data directory comes from the config's `data_dir`, else the
environment's KIOSK_DATA_DIR, else /var/lib/kiosk (the appliance's place; the installed service sets it).

    <data_dir>/kiosk.db            the store (records, attachments, audit, outbox), 0600, with its WAL
    <data_dir>/kiosk.db.key        the device key sealing personal data at rest, 0600
    <data_dir>/sync/               terminal identity and key from enrollment, sync status, pulled config
    <data_dir>/sync/config/        the last good config pulled from central (policies/, roster)
    <data_dir>/printed/            forms printed by the file printer
    <data_dir>/selftest/           self-test reports kept locally
    <data_dir>/logs/               JSON-lines logs (personal data masked)
    <data_dir>/operators.json      the operator badge registry
    <data_dir>/update.lock         flock: shared while a student registers, exclusive while an update applies
    <data_dir>/update-backup.db    the store as it was before the last update (restored if a rollback needs it)
    <data_dir>/identify.json       a technician's "identify yourself" request (flash and beep) for the kiosk
    <data_dir>/voice/              spoken prompts rendered by espeak-ng, cached per text
    <data_dir>/voice.json          the operator's voice mute (kept across restarts)
    <data_dir>/run/                the simulated card reader's pty and control socket (demo and tests)
    <data_dir>/central/            the embedded central server's data (demo mode only)
    <data_dir>/demo/               what the demo robot keeps for a person to look at (photo, document)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("/var/lib/kiosk")
DATA_DIR_ENV = "KIOSK_DATA_DIR"


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """The data directory: an explicit value, else $KIOSK_DATA_DIR, else /var/lib/kiosk."""
    return Path(value or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


@dataclass(frozen=True)
class TerminalPaths:
    data_dir: Path

    @classmethod
    def at(cls, data_dir: str | os.PathLike | None = None) -> "TerminalPaths":
        return cls(resolve_data_dir(data_dir))

    @property
    def store(self) -> Path:
        return self.data_dir / "kiosk.db"

    @property
    def device_key(self) -> Path:
        return self.data_dir / "kiosk.db.key"

    @property
    def sync_dir(self) -> Path:
        return self.data_dir / "sync"

    @property
    def pulled_config(self) -> Path:
        return self.sync_dir / "config"

    @property
    def pulled_policies(self) -> Path:
        return self.pulled_config / "policies"

    @property
    def printed(self) -> Path:
        return self.data_dir / "printed"

    @property
    def selftest(self) -> Path:
        return self.data_dir / "selftest"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def operators(self) -> Path:
        return self.data_dir / "operators.json"

    @property
    def update_lock(self) -> Path:
        return self.data_dir / "update.lock"

    @property
    def update_backup(self) -> Path:
        return self.data_dir / "update-backup.db"

    @property
    def identify_request(self) -> Path:
        return self.data_dir / "identify.json"

    @property
    def voice_cache(self) -> Path:
        return self.data_dir / "voice"

    @property
    def voice_state(self) -> Path:
        return self.data_dir / "voice.json"

    @property
    def runtime(self) -> Path:
        return self.data_dir / "run"

    @property
    def demo_central(self) -> Path:
        return self.data_dir / "central"

    @property
    def demo(self) -> Path:
        return self.data_dir / "demo"

    def ensure(self) -> "TerminalPaths":
        """Creates the data directory (0700: it holds keys and personal data) and its folders."""
        for folder in (self.data_dir, self.sync_dir, self.printed, self.selftest, self.logs, self.runtime):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        return self
