"""The composition root: config -> TerminalPaths -> store -> sync worker -> devices -> session, built one way for
the touch app (`kiosk run --ui`), the robot (`kiosk run`), the `kiosk` commands and provisioning.

    kiosk = build(TerminalConfig.load(path))           # demo = true: embedded central, simulated time
    session = kiosk.session()                           # RegistrationSession, sync kicked on every write
    kiosk.devices.card_reader.poller.poll()             # drivers.<kind>.open(spec): real device or simulator
    session.print_form(kiosk.devices.printer)
    kiosk.close()

No Kivy here. Devices are opened by each driver package's `open(spec)`, which fails at start (a Chinese
KioskError) when an implementation cannot load. The embedded central server starts only in demo mode.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.clock import SimulatedClock, utcnow
from kiosk.config import TerminalConfig
from kiosk.identity import IdentityCard
from kiosk.paths import TerminalPaths
from kiosk.terminal import Say, TerminalCore, open_core

from .demo import Demo, start_demo

_camera_lock = threading.Lock()


@dataclass
class Devices:
    """The card reader, document scanner and printer, open for the terminal's life; the photo camera is opened
    by each photo step (open_camera) and closed after it."""

    card_reader: object  # drivers.idcard.device.CardReaderDevice
    scanner: object  # kiosk.devices.scanner.DocumentScanner
    printer: object  # kiosk.devices.printer.Printer
    camera_spec: str
    badge_reader: object | None = None  # kiosk.devices.badge.BadgeReader: the operator's badges
    _camera: object | None = field(default=None, repr=False)  # the simulated photo camera, built once

    @property
    def simulated_card(self) -> bool:
        return self.card_reader.simulated

    @property
    def simulated_camera(self) -> bool:
        return self.camera_spec == "simulator"

    def open_camera(self):
        """The photo camera, not yet opened. The simulated one is built once (its scripted student takes seconds
        and ~100 MB to render) and opened and closed again by each photo step; a real one is made afresh, so no
        frame of the last student waits in its buffer."""
        import drivers.camera

        if not self.simulated_camera:
            return drivers.camera.open(self.camera_spec)
        with _camera_lock:
            if self._camera is None:
                self._camera = drivers.camera.open(self.camera_spec)
            return self._camera

    def card_read(self, card: IdentityCard) -> None:
        """A card was read: the simulated document camera shows that very card."""
        if hasattr(self.scanner, "lay"):
            self.scanner.lay(card)

    def status(self) -> dict[str, str]:
        """What the heartbeat tells central about the devices (no personal data)."""
        try:
            printer = self.printer.status()
            printer_state = "ok" if printer.ready else f"{printer.state}: {','.join(printer.reasons)}"
        except Exception as exc:  # noqa: BLE001 - a heartbeat never fails on a device question
            printer_state = f"error: {type(exc).__name__}"
        badge = self.badge_reader
        lost = getattr(badge, "lost", None)  # PcscBadgeReader: why the reader is gone, None while usable
        badge_state = "none" if badge is None else "simulator" if getattr(badge, "simulated", False) else (
            f"error: {lost.value}" if lost else "ok")
        return {"card_reader": "simulator" if self.simulated_card else "serial",
                "camera": "simulator" if self.simulated_camera else self.camera_spec,
                "document_camera": "simulator" if hasattr(self.scanner, "lay") else "ok",
                "printer": printer_state[:100], "badge_reader": badge_state}

    def close(self) -> None:
        closers = [self.card_reader.close, self.scanner.close]
        if self.badge_reader is not None:
            closers.append(self.badge_reader.close)
        for closing in closers:
            try:
                closing()
            except Exception:  # noqa: BLE001 - closing down: close the rest anyway
                pass


def prestart_ui() -> threading.Thread:
    """What the touch app needs soon, begun on a background thread while it builds the terminal and its screens:
    librime's runtime for the pinyin keyboard (~0.35 s of C that releases the GIL, so it runs beside the Python
    building the screens; the keyboard's engine then finds it started)."""

    def run() -> None:
        try:
            from drivers.input.rime.runtime import runtime

            runtime()
        except Exception:  # noqa: BLE001 - the keyboard starts it again and reports why it cannot
            pass

    thread = threading.Thread(target=run, name="ui-prestart", daemon=True)
    thread.start()
    return thread


def open_devices(config: TerminalConfig, paths: TerminalPaths, *, card: IdentityCard | None = None) -> Devices:
    """Every device the config names, opened now: a broken or missing implementation stops the start-up."""
    import drivers.badge
    import drivers.idcard
    import drivers.printer
    import drivers.scanner
    from drivers import load

    load("drivers.camera", "摄像头")  # OpenCV (and the demo face) load now, not at the first photo
    reader = drivers.idcard.open(config.card_reader, runtime_dir=paths.runtime, card=card)
    try:
        scanner = drivers.scanner.open(config.document_camera)
        printer = drivers.printer.open(config.printer, directory=str(paths.printed))
        badges = drivers.badge.open(config.badge_spec)
    except BaseException:
        reader.close()
        raise
    return Devices(reader, scanner, printer, config.camera, badges)


DEMO_OPERATOR = ("demo", "演示工作人员", "D3E40001", "246810")  # id, name, badge UID, PIN: the demo's badge


def operator_registry(paths: TerminalPaths, *, demo: bool = False):
    """The operator badge registry (data_dir/operators.json, kept by `kiosk-provision operator`); in the demo the
    demo operator is registered, whose badge the simulated reader lays."""
    from drivers.badge.registry import JsonOperatorRegistry
    from kiosk.devices.badge import Operator, hash_pin

    registry = JsonOperatorRegistry(paths.operators)
    if demo and registry.by_id(DEMO_OPERATOR[0]) is None:
        op_id, name, uid, pin = DEMO_OPERATOR
        registry.add(Operator(op_id, name, uid, hash_pin(pin)))
    return registry


@dataclass
class Kiosk:
    """A built terminal: its core (store, pulled policy and roster, sync), devices and, in demo mode, the demo."""

    core: TerminalCore
    devices: Devices | None = None
    demo: Demo | None = None

    @property
    def config(self) -> TerminalConfig:
        return self.core.config

    @property
    def paths(self) -> TerminalPaths:
        return self.core.paths

    @property
    def store(self):
        return self.core.store

    @property
    def policy(self):
        return self.core.policy

    @property
    def worker(self):
        return self.core.worker

    @property
    def clock(self):
        return self.core.clock

    @property
    def station(self):
        return self.core.station

    def session(self, **kwargs):
        return self.core.session(**kwargs)

    def close(self) -> None:
        if self.devices is not None:
            self.devices.close()
        self.core.close()
        if self.demo is not None:
            try:
                self.demo.stop()
            except Exception:  # noqa: BLE001 - closing down
                pass


def demo_paths(config: TerminalConfig, data_dir: str | Path | None) -> TerminalPaths:
    """Where a run keeps its files: the given directory; in demo mode without one a fresh temporary directory (a
    demo never writes into a terminal's data); in production the config's data_dir (TerminalPaths' rule)."""
    if data_dir is not None:
        return TerminalPaths.at(data_dir)
    if config.demo:
        return TerminalPaths(Path(tempfile.mkdtemp(prefix="kiosk-demo-")))
    return config.paths


def build(config: TerminalConfig, *, data_dir: str | Path | None = None, devices: bool = True,
          category: str = "grade9", at: dt.datetime | None = None, frozen_clock: bool = False,
          say: Say = print) -> Kiosk:
    """The whole terminal. In demo mode: the embedded central server, a fresh enrollment, the demo student's card
    on the simulated reader, and a clock starting at `at` (default: an hour into the category's window)."""
    paths = demo_paths(config, data_dir).ensure()
    config = config.model_copy(update={"data_dir": paths.data_dir})
    demo = identity = None
    clock = utcnow
    if config.demo:
        demo = start_demo(config, paths, category=category, at=at, say=say)
        identity, clock = demo.identity, SimulatedClock(demo.start, frozen=frozen_clock)
    elif at is not None:
        clock = SimulatedClock(at, frozen=frozen_clock)
    try:
        core = open_core(config, paths=paths, identity=identity, clock=clock, say=say)
    except BaseException:
        if demo is not None:
            demo.stop()
        raise
    say(f"已拉取配置：{core.pulled.roster_size}名本校学生，采集政策 {core.policy.name}")
    kiosk = Kiosk(core, demo=demo)
    if devices:
        try:
            kiosk.devices = open_devices(config, paths, card=demo.student.card if demo else None)
        except BaseException:
            kiosk.close()
            raise
        if core.worker is not None:
            core.worker.peripherals = kiosk.devices.status  # the next heartbeat reports them
    return kiosk
