"""What the core needs from a document scanner (a document camera or a flatbed): one still image per request."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class DocumentScanner(Protocol):
    def scan(self) -> np.ndarray:
        """One image (H x W x 3, uint8, BGR) of the document on the glass or under the camera; raises KioskError."""

    def close(self) -> None:
        ...
