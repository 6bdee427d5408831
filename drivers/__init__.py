"""Device drivers: implementations of the kiosk.devices Protocols for real hardware and their simulators.

Each driver package offers `open(spec, ...)`: the one place that turns a config value into a device, choosing the
real implementation or its simulator ("simulator"). An implementation that cannot load fails there, at start-up,
with a Chinese message for the technician: never later at first use.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from kiosk.errors import KioskError


def load(module: str, what: str) -> ModuleType:
    """Imports a driver's implementation; an ImportError (a missing library) becomes a start-up error."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise KioskError(f"{what}驱动无法加载，请联系技术人员", detail=f"{module}: {exc}") from None
