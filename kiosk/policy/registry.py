"""Finding policies: the shipped files plus any directory named by KIOSK_POLICY_DIR (e.g. pulled from central)."""
from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from kiosk.errors import KioskError

from .model import Policy


def _files(extra_dir: str | os.PathLike | None):
    yield from (f for f in resources.files(__package__).joinpath("data").iterdir() if f.name.endswith(".json"))
    directory = extra_dir or os.environ.get("KIOSK_POLICY_DIR")
    if directory and Path(directory).is_dir():
        yield from sorted(Path(directory).glob("*.json"))


def load_policies(extra_dir: str | os.PathLike | None = None) -> dict[str, Policy]:
    """All policies by name; a file in the extra directory replaces a shipped one of the same name."""
    policies: dict[str, Policy] = {}
    for f in _files(extra_dir):
        policy = Policy.model_validate(json.loads(f.read_text(encoding="utf-8")))
        policies[policy.name] = policy
    return policies


def get_policy(name: str, extra_dir: str | os.PathLike | None = None) -> Policy:
    policies = load_policies(extra_dir)
    if name not in policies:
        raise KioskError(f"找不到采集政策“{name}”（可用：{'、'.join(sorted(policies))}）", detail=f"no policy {name!r}")
    return policies[name]
