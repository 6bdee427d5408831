"""Auto-detect: which serial ports have a reader, at which baud rate, with which SAM."""
from __future__ import annotations

import glob
from dataclasses import asdict, dataclass

from kiosk.devices.card_reader import CardReaderError

from .reader import BAUD_RATES, SamReader

PORT_PATTERNS = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/serial/by-id/*")


@dataclass(frozen=True)
class ProbeResult:
    port: str
    baud: int
    sam_id: str

    def as_json(self) -> dict:
        return asdict(self)


def candidate_ports() -> list[str]:
    """USB-UART adapters first (CP210x, PL2303, CH340 show as ttyUSB), then what pyserial lists."""
    from serial.tools import list_ports

    found = [path for pattern in PORT_PATTERNS for path in sorted(glob.glob(pattern))]
    found += [info.device for info in list_ports.comports()]
    return list(dict.fromkeys(found))


def probe_port(path: str, bauds: tuple[int, ...] = BAUD_RATES, slack: float = 0.0) -> ProbeResult | None:
    """Sends SAM status at each baud rate until a valid answer comes back; None if no reader answers."""
    for baud in bauds:
        try:
            reader = SamReader.open(path, baud, slack=slack)
        except CardReaderError:
            return None  # the port cannot be opened at all
        try:
            reader.sam_status()
            return ProbeResult(path, baud, reader.sam_id())
        except CardReaderError:
            continue
        finally:
            reader.close()
    return None


def probe(ports: list[str] | None = None, bauds: tuple[int, ...] = BAUD_RATES) -> list[ProbeResult]:
    results = (probe_port(path, bauds) for path in (ports if ports is not None else candidate_ports()))
    return [r for r in results if r is not None]
