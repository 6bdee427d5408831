"""Operator badges over PC/SC (pyscard): card UID events, operator registry, login with badge + PIN."""
from __future__ import annotations

SIMULATOR = "simulator"


def open(spec: str = SIMULATOR):  # noqa: A001
    """The badge reader the config names: "simulator" (the demo's hidden gesture lays a badge), "pcsc" or
    "pcsc:<filter>" (PC/SC readers whose name contains the filter). pyscard is loaded here, at start-up."""
    if spec == SIMULATOR:
        from .simulator import SimulatedBadgeReader

        return SimulatedBadgeReader()
    if spec == "pcsc" or spec.startswith("pcsc:"):
        from drivers import load

        reader = load("drivers.badge.pcsc", "工作人员卡读卡器").PcscBadgeReader(spec.partition(":")[2])
        reader.simulated = False
        return reader
    raise ValueError(f"unknown badge reader {spec!r} (simulator, pcsc or pcsc:<filter>)")
