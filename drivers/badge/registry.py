"""OperatorRegistry kept in one JSON file (mode 0600, replaced atomically), until the local store backs it."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from kiosk.devices.badge import Operator


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

    def add(self, operator: Operator) -> None:
        """Adds or replaces (by id) an operator; a badge belongs to one operator only."""
        others = [op for op in self.all() if op.id != operator.id]
        if any(normalise_uid(op.badge_uid) == normalise_uid(operator.badge_uid) for op in others):
            raise ValueError("badge already registered to another operator")
        self._write(others + [operator])

    def remove(self, operator_id: str) -> None:
        self._write([op for op in self.all() if op.id != operator_id])

    def _write(self, operators: list[Operator]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".operators-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp creates the file with mode 0600
            json.dump({"operators": [asdict(op) for op in operators]}, out, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)


def normalise_uid(uid: str) -> str:
    return uid.replace(":", "").replace(" ", "").upper()
