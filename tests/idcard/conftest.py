"""Fixtures for the ID card reader tests: card JSON files and simulators on real pseudo-terminals."""
from __future__ import annotations

from pathlib import Path

import pytest

from drivers.idcard.reader import SamReader
from drivers.idcard.simulator import SimCard, Simulator

FIXTURES = Path(__file__).parent / "fixtures"
CARD_FILES = sorted(FIXTURES.glob("*.json"))
SLACK = 0.5  # extra seconds on every command budget: test machines are shared and busy


@pytest.fixture(params=CARD_FILES, ids=lambda p: p.stem)
def card_file(request) -> Path:
    return request.param


@pytest.fixture
def resident() -> SimCard:
    return SimCard.load(FIXTURES / "resident.json")


@pytest.fixture
def make_sim(tmp_path):
    """make_sim(card=None, **options) -> a started Simulator whose pty is linked at tmp_path/ttyIDCARD."""
    started: list[Simulator] = []

    def make(card: SimCard | None = None, *, placed: bool = True, **options) -> Simulator:
        options.setdefault("warmup", 0.0)
        sim = Simulator(tmp_path / f"ttyIDCARD{len(started)}", card, **options).start()
        if card and placed:
            sim.place()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim, resident) -> Simulator:
    return make_sim(resident)


@pytest.fixture
def reader(sim):
    reader = SamReader.open(str(sim.link), slack=SLACK)
    yield reader
    reader.close()


# --- PC/SC: a private pcscd with vsmartcard's vpcd driver --------------------------------------------------------

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_ENTRY = f"""FRIENDLYNAME "Virtual PCD"
DEVICENAME /dev/null:0x8C9F
LIBPATH {VPCD_DRIVER}
CHANNELID 0x8C9F
"""


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory):
    """Starts pcscd in the foreground with only the vpcd reader; yields the reader name prefix; stops it after.

    pcscd's socket (/run/pcscd/pcscd.comm) is machine-wide, so a lock file serialises test runs.
    """
    import fcntl
    import shutil
    import subprocess
    import time

    binary = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
    if binary is None or not VPCD_DRIVER.exists():
        pytest.skip("pcscd or vsmartcard-vpcd is not installed (apt-get install pcscd vsmartcard-vpcd)")
    from smartcard.System import readers

    config = tmp_path_factory.mktemp("pcscd")
    (config / "vpcd").write_text(VPCD_ENTRY)
    lock = open("/tmp/kiosk-tests-pcscd.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    log = open(config / "pcscd.log", "w")
    process = subprocess.Popen([binary, "-f", "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not any("Virtual PCD" in str(r) for r in _readers(readers)):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pcscd did not start: {(config / 'pcscd.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield "Virtual PCD 00 00"
    finally:
        import gc

        gc.collect()  # release pyscard's monitor handles while pcscd still answers
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _readers(readers):
    from smartcard.Exceptions import SmartcardException
    from smartcard.pcsc.PCSCExceptions import BaseSCardException

    try:
        return readers()
    except (SmartcardException, BaseSCardException):  # pcscd not up yet
        return []
