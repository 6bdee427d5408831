"""A private pcscd with only vsmartcard's vpcd reader, for tests and demos of the badge login.

pcscd's socket (/run/pcscd/pcscd.comm) is machine-wide, so there is one pcscd per machine: a lock file serialises
every user (test runs in other checkouts, other processes). Within one process, shared() hands the same running
pcscd to every caller and stops it when the last one is done, so several test modules can use it together.
Tests may stop(), kill() and start() it again to play a pcscd restart or crash.

No pytest here: fixtures wrap this (tests/drivers/badge/conftest.py, tests/provisioning/test_operators.py).
"""
from __future__ import annotations

import contextlib
import fcntl
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_ENTRY = f"""FRIENDLYNAME "Virtual PCD"
DEVICENAME /dev/null:0x8C9F
LIBPATH {VPCD_DRIVER}
CHANNELID 0x8C9F
"""
READER = "Virtual PCD 00 00"  # vpcd's first reader; the VirtualBadge default port (35999) feeds it
LOCK_FILE = "/tmp/kiosk-tests-pcscd.lock"


class PcscdUnavailable(RuntimeError):
    """pcscd or vsmartcard-vpcd is not installed."""


def pcscd_binary() -> str | None:
    return shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)


class Pcscd:
    """One foreground pcscd (`pcscd -f -c DIR`) whose only reader driver is vpcd."""

    reader = READER

    def __init__(self, workdir: str | Path | None = None):
        self.binary = pcscd_binary()
        if self.binary is None or not VPCD_DRIVER.exists():
            raise PcscdUnavailable("pcscd or vsmartcard-vpcd is not installed "
                                   "(apt-get install pcscd vsmartcard-vpcd)")
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kiosk-pcscd-"))
        self.config = self.workdir / "reader.conf.d"  # pcscd reads every file in it: nothing else may live there
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "vpcd").write_text(VPCD_ENTRY)
        self.log_path = self.workdir / "pcscd.log"
        self.process: subprocess.Popen | None = None
        self._lock = None

    # --- the machine-wide lock ------------------------------------------------------------------------------------

    def acquire(self) -> None:
        """Waits until no other pcscd user on this machine holds the lock."""
        if self._lock is None:
            self._lock = open(LOCK_FILE, "w")
            fcntl.flock(self._lock, fcntl.LOCK_EX)

    def release(self) -> None:
        self.stop()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # --- the daemon ---------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Starts pcscd and returns once it lists the vpcd reader; RuntimeError with its log if it does not."""
        self.acquire()
        if self.running:
            return
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([self.binary, "-f", "-c", str(self.config)], stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while self.reader not in list_readers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pcscd did not start: {self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stops pcscd the polite way (SIGTERM), as systemd does on a restart."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kills pcscd (SIGKILL), as a crash would: no clean-up, its socket file stays behind."""
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _end(self, sig: int) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except FileNotFoundError:
            return ""


def list_readers() -> list[str]:
    """Reader names pcscd offers right now ([] if it does not answer); the context is released at once."""
    from smartcard import scard

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        return []
    try:
        result, names = scard.SCardListReaders(context, [])
        return list(names) if result == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


_shared: Pcscd | None = None
_users = 0
_shared_lock = threading.Lock()


@contextlib.contextmanager
def shared(workdir: str | Path | None = None):
    """The process's one running Pcscd: started (and the machine lock taken) by the first user, stopped by the
    last. Raises PcscdUnavailable when pcscd or vpcd is not installed."""
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            _shared = Pcscd(workdir)
        _users += 1
        server = _shared
    try:
        server.start()
        yield server
    finally:
        with _shared_lock:
            _users -= 1
            if _users == 0:
                _shared = None
                server.release()
