"""Retry timing: exponential backoff with full jitter, Retry-After honoured, schedules spread across terminals."""
from __future__ import annotations

import email.utils
import random
import time

BASE_S, CAP_S = 1.0, 300.0


def full_jitter(attempts: int, rng: random.Random = random, base: float = BASE_S, cap: float = CAP_S) -> float:
    """Uniform in [0, min(cap, base * 2**attempts)] (AWS' "full jitter")."""
    return rng.uniform(0, min(cap, base * 2 ** min(attempts, 30)))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (now or time.time()))


def next_delay(attempts: int, retry_after_s: float | None, rng: random.Random = random, base: float = BASE_S,
               cap: float = CAP_S) -> float:
    """Never sooner than the server asked; jittered beyond that so terminals told the same do not return together."""
    if retry_after_s is None:
        return full_jitter(attempts, rng, base, cap)
    return retry_after_s + rng.uniform(0, min(retry_after_s, cap))


def spread(period_s: float, rng: random.Random = random, fraction: float = 0.2) -> float:
    """A periodic interval with +-fraction jitter, so a county's terminals drift apart instead of polling together."""
    return period_s * (1 + rng.uniform(-fraction, fraction))
