"""OperatorRegistry kept in one JSON file (mode 0600, replaced atomically), until the local store backs it.

The kiosk reads the file while the technician's tool (kiosk-provision operator ...) may change it: writers take an
flock on a lock file next to it, and a reader always sees a whole old or a whole new file.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import asdict
from pathlib import Path

from kiosk.devices.badge import Operator, normalise_uid
from kiosk.files import write_json

REGISTRY_FILE = "operators.json"

__all__ = ["REGISTRY_FILE", "JsonOperatorRegistry", "normalise_uid", "registry_path"]


def registry_path(data_dir: str | Path) -> Path:
    """Where the terminal keeps its operator registry: data_dir/operators.json."""
    return Path(data_dir) / REGISTRY_FILE


class JsonOperatorRegistry:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def all(self) -> list[Operator]:
        if not self.path.exists():
            return []
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return [Operator(**entry) for entry in data.get("operators", [])]

    def by_badge(self, uid: str) -> Operator | None:
        uid = normalise_uid(uid)
        return next((op for op in self.all() if normalise_uid(op.badge_uid) == uid), None)

    def by_id(self, operator_id: str) -> Operator | None:
        return next((op for op in self.all() if op.id == operator_id), None)

    def add(self, operator: Operator) -> None:
        """Adds or replaces (by id) an operator; a badge belongs to one operator only."""
        with self._locked():
            others = [op for op in self.all() if op.id != operator.id]
            if any(normalise_uid(op.badge_uid) == normalise_uid(operator.badge_uid) for op in others):
                raise ValueError("badge already registered to another operator")
            self._write(others + [operator])

    def remove(self, operator_id: str) -> bool:
        """Removes the operator; False if there was none with that id."""
        with self._locked():
            operators = self.all()
            kept = [op for op in operators if op.id != operator_id]
            if len(kept) == len(operators):
                return False
            self._write(kept)
            return True

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.parent / f".{self.path.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def _write(self, operators: list[Operator]) -> None:
        """Atomic and durable (a power cut must not leave an empty registry behind), mode 0600."""
        write_json(self.path, {"operators": [asdict(op) for op in operators]}, mode=0o600)
