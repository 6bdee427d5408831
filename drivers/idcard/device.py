"""The card reader the config names, opened once at start: the production poller on a serial port, which is the
pty of the GA 467 simulator when the config says "simulator" (the driver under test is the production driver)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.identity import IdentityCard

SIMULATOR = "simulator"
AUTO = "auto"


@dataclass
class CardReaderDevice:
    poller: object  # drivers.idcard.poller.CardPoller: poll() -> CardEvent | None
    simulator: object | None = None  # drivers.idcard.simulator.Simulator when simulated
    control: Path | None = None  # the simulator's control socket (place/remove/fault...)

    @property
    def simulated(self) -> bool:
        return self.simulator is not None

    def simulate(self, line: str) -> str:
        """A command to the simulator ("place", "remove", "status"...): demo buttons and tests."""
        from .simulator import control

        if self.control is None:
            raise KioskError("当前不是模拟读卡器", detail="simulate() on a real reader")
        return control(self.control, line)

    def lay(self, card: IdentityCard) -> None:
        """Demo: lays a card on the simulated reader (the robot's student)."""
        from .simulator import SimCard

        self.simulator.place(SimCard.from_json(card.as_json()))

    def close(self) -> None:
        self.poller.close()
        if self.simulator is not None:
            self.simulator.stop()


def open_reader(spec: str, *, runtime_dir: str | Path, card: IdentityCard | None = None,
                warmup: float = 0.2) -> CardReaderDevice:
    """"simulator" (a pty under runtime_dir, `card` ready to be laid through the control socket), "auto" (probe the
    serial ports; none answering is a start-up error) or a port path."""
    from drivers import load

    poller_module = load("drivers.idcard.poller", "身份证阅读器")  # pyserial
    simulator = control = None
    if spec == SIMULATOR:
        from kiosk.record import example_card

        from .simulator import SimCard, Simulator

        runtime_dir = Path(runtime_dir)
        runtime_dir.mkdir(parents=True, exist_ok=True)
        port, control = runtime_dir / "idcard", runtime_dir / "idcard.ctl"
        simulator = Simulator(port, SimCard.from_json((card or example_card()).as_json()), warmup=warmup,
                              control=control).start()
        time.sleep(warmup)  # the SAM answers only after its warm-up (the poller would report the reader lost)
    elif spec == AUTO:
        from .probe import probe

        found = probe()
        if not found:
            raise KioskError("未找到身份证阅读器，请联系技术人员", detail="no reader found by probing")
        port = found[0].port
    else:
        port = spec
        if not Path(port).exists():
            raise KioskError(f"找不到身份证阅读器串口：{port}，请联系技术人员", detail="configured reader port missing")
    poller = poller_module.CardPoller(str(port), interval=0.1 if simulator else 0.3)
    return CardReaderDevice(poller, simulator, control)
