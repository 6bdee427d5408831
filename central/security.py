"""Request authentication (Ed25519 signatures with timestamp and nonce) and per-terminal rate limits.

Replay protection: a request is accepted only with a timestamp within the allowed clock skew AND not older than
this process's start, and with a nonce not seen in that window. The nonces live in memory: after a restart nothing
signed before the start is accepted, so the memory is complete for the window (one server process per database).
"""
from __future__ import annotations

import math
import random
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.wire import signing_message

from .keys import signature_canonical


class AuthError(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class NonceCache:
    def __init__(self, window_s: int):
        self.window_s = window_s
        self.started = time.time()
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def check_and_add(self, terminal_id: str, nonce: str, timestamp: float, now: float | None = None) -> None:
        now = now or time.time()
        if not math.isfinite(timestamp) or abs(now - timestamp) > self.window_s:
            raise AuthError(401, "timestamp outside the allowed clock skew")
        if timestamp < self.started - 1:
            raise AuthError(401, "request signed before the server started")
        with self._lock:
            if now >= self._next_purge:
                cutoff = now - 2 * self.window_s
                self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
                self._next_purge = now + self.window_s
            key = (terminal_id, nonce)
            if key in self._seen:
                raise AuthError(401, "replayed nonce")
            self._seen[key] = timestamp


def verify_signature(public_key: bytes | Ed25519PublicKey, signature: bytes, method: str, path: str,
                     timestamp: str, nonce: str, body: bytes) -> None:
    if not signature_canonical(signature):
        raise AuthError(401, "bad signature")
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key) if isinstance(public_key, bytes) else public_key
        key.verify(signature, signing_message(method, path, timestamp, nonce, body))
    except (InvalidSignature, ValueError):
        raise AuthError(401, "bad signature") from None


class RateLimiter:
    """A token bucket per terminal; take() returns 0 when allowed, else the seconds to wait."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        now = now or time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class FailureThrottle(RateLimiter):
    """Counts failures only (e.g. wrong enrollment codes per client address): wait() is what a new attempt must
    wait, failed() spends a token."""

    def wait(self, key: str, now: float | None = None) -> float:
        now = now or time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def failed(self, key: str) -> None:
        self.take(key)


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds (RFC 9110)."""
    return str(max(1, math.ceil(seconds)))


class ConcurrencyGate:
    """Caps requests in flight (a memory bound: each holds its body); try_enter() is False when full (the caller
    answers 503 + Retry-After). Load is shed earlier by QueueDelayAdmission."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_flight = 0
        self._lock = threading.Lock()

    def try_enter(self) -> bool:
        with self._lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            return True

    def leave(self, _token=None) -> None:
        with self._lock:
            self.in_flight -= 1

    @staticmethod
    def retry_after() -> str:
        return retry_after_header(random.uniform(1, 5))


class QueueDelayAdmission:
    """Sheds load by queueing delay, not by a count (CoDel's rule). A push's delay is the time it spent waiting:
    for the event loop, the thread pool and the database writer (never its own parsing, checks or fsyncs, so a
    large batch is not mistaken for a queue). When even the shortest delay of the pushes that started work in the
    last interval exceeded the target, a standing queue has formed and new pushes are refused
    (503 + Retry-After) until a wait below the target is seen again. A short burst is absorbed; a queue that stays
    is not allowed to grow, so admitted pushes keep their latency."""

    def __init__(self, target_s: float = 0.25, interval_s: float = 0.5):
        self.target_s, self.interval_s = target_s, interval_s
        self.shedding = False
        self._window_min = math.inf
        self._window_end = 0.0
        self._lock = threading.Lock()

    def observe(self, delay_s: float, now: float | None = None) -> None:
        """A push began its database work delay_s after it was admitted."""
        now = now or time.monotonic()
        with self._lock:
            if now >= self._window_end:
                if self._window_min != math.inf:
                    self.shedding = self._window_min > self.target_s
                self._window_min, self._window_end = math.inf, now + self.interval_s
            self._window_min = min(self._window_min, delay_s)
            if delay_s <= self.target_s:
                self.shedding = False

    def admit(self, now: float | None = None) -> bool:
        now = now or time.monotonic()
        with self._lock:
            if self.shedding and now >= self._window_end + self.interval_s:  # nothing observed since: drained
                self.shedding = False
            return not self.shedding
