"""Time for the terminal: one `utcnow()`, the local zone (SHANGHAI) and the clocks the composition root injects.

Every part that needs the time (the session, the store's outbox and audit, the lifecycle, the print service, the
form) takes a `Clock`: a callable returning an aware datetime. The real terminal uses `utcnow`; the demo and the
tests use a `SimulatedClock` that starts at a chosen moment (inside a collection window) and runs on in real time,
so idle timeouts still work.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
# China Standard Time (no daylight saving since 1991): the local time the form and the operator screens show.
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SimulatedClock:
    """Starts at `start` and runs on with the monotonic clock (or stands still with frozen=True)."""

    def __init__(self, start: dt.datetime, *, frozen: bool = False):
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs an aware start time")
        self.start, self.frozen = start, frozen
        self._began = time.monotonic()

    def __call__(self) -> dt.datetime:
        if self.frozen:
            return self.start
        return self.start + dt.timedelta(seconds=time.monotonic() - self._began)

    def advance(self, delta: dt.timedelta) -> None:
        self.start += delta
