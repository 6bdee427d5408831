"""The running software's version (the installed distribution's), for reports, enrollment and updates."""
from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "henan-exam-kiosk"


def app_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"
