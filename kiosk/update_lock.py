"""The update lock: a flock on <data_dir>/update.lock that keeps an update away from a student mid-registration.

The kiosk holds it shared from the first card read of a session until the session ends (done, cancelled, idle
timeout); `kiosk-provision update` takes it exclusive and waits for every registration to finish first. flock
locks belong to the open file, so a crashed kiosk releases its hold with its last descriptor.

    lock = RegistrationLock(TerminalPaths.at(data_dir).update_lock)
    lock.acquire()      # on a session's first step; False while an update is being applied (show "正在更新")
    lock.release()      # when the session ends, whatever the way; harmless when not held
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path


class UpdateBusy(Exception):
    """The lock could not be taken in time."""


def _open(path: Path) -> int:
    """Read-only is enough for flock; 0644 so the kiosk user can open a lock file root created (it holds nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)


class RegistrationLock:
    """The kiosk's shared hold, one per app; acquire/release from the session's start and end."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Takes the shared hold without waiting; True when held (also when already held)."""
        if self._fd is not None:
            return True
        fd = _open(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock


@contextmanager
def exclusive(path: str | os.PathLike, timeout: float, poll: float = 0.2, on_wait=None):
    """Holds the lock exclusively (no registration in progress, none can start) for the with-block; waits up to
    timeout seconds for running registrations to end, calling on_wait() once if it has to wait. Raises UpdateBusy."""
    fd = _open(Path(path))
    deadline = time.monotonic() + timeout
    waited = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UpdateBusy(f"update lock {path} still held after {timeout:g}s") from None
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                time.sleep(poll)
        yield
    finally:
        os.close(fd)
