"""What the core needs from a camera: the newest frame, on demand, without blocking the UI."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # H x W x 3, uint8, BGR (OpenCV order), as the camera sees the student (not mirrored)
    timestamp: float  # seconds, monotonic for live cameras, the script's clock for simulated ones
    index: int  # frame counter since the camera was opened


@runtime_checkable
class Camera(Protocol):
    def open(self) -> None:
        """Starts capturing; raises KioskError when no camera can be opened."""

    def read(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not returned before, waiting up to timeout seconds; None when none came."""

    @property
    def connected(self) -> bool:
        """False while the camera is gone (the driver keeps trying to reopen it)."""

    def close(self) -> None:
        ...
