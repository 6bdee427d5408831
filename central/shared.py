"""Limits shared by every server process on one PostgreSQL database (SQLite keeps the in-memory, one-process
versions in central.security): nonces, per-terminal token buckets, the upload cap. With these, `kiosk-central
serve --workers N` and several hosts behind a load balancer refuse a replay sent to another process, limit a
terminal's rate across all of them and cap uploads in flight in total.

Each is one statement per request (an upsert or insert whose result decides), so no process holds state the
others need. Clocks: time.time() of each host (keep them in NTP sync, as the terminals' skew check already
assumes).
"""
from __future__ import annotations

import os
import threading
import time
import uuid

from sqlalchemy import text
from sqlalchemy.engine import Engine

from .security import AuthError, retry_after_header

NONCE_INSERT = text("INSERT INTO request_nonces (terminal_id, nonce, expires_at) VALUES (:t, :n, :e) "
                    "ON CONFLICT DO NOTHING RETURNING 1")
NONCE_PURGE = text("DELETE FROM request_nonces WHERE expires_at < :now")
BUCKET_TAKE = text("""
INSERT INTO rate_buckets (key, tokens, at) VALUES (:k, :burst - 1, :now)
ON CONFLICT (key) DO UPDATE
   SET tokens = LEAST(:burst, rate_buckets.tokens + GREATEST(0, :now - rate_buckets.at) * :rate) - 1, at = :now
 WHERE LEAST(:burst, rate_buckets.tokens + GREATEST(0, :now - rate_buckets.at) * :rate) >= 1
RETURNING tokens""")
BUCKET_READ = text("SELECT tokens, at FROM rate_buckets WHERE key = :k")
LEASE_TAKE = text("""
INSERT INTO upload_leases (lease, expires_at)
SELECT :lease, :expires WHERE (SELECT count(*) FROM upload_leases WHERE expires_at >= :now) < :limit
RETURNING 1""")
LEASE_LOCK = text("SELECT pg_advisory_xact_lock(727001)")  # the count and the insert as one step
LEASE_DROP = text("DELETE FROM upload_leases WHERE lease = :lease OR expires_at < :now")


class SharedNonces:
    """Like security.NonceCache, but the nonces live in the database: complete across processes and restarts,
    so there is no start-time rule."""

    shared = True

    def __init__(self, engine: Engine, window_s: int):
        self.engine, self.window_s = engine, window_s
        self._next_purge = 0.0
        self._lock = threading.Lock()

    def check_and_add(self, terminal_id: str, nonce: str, timestamp: float, now: float | None = None) -> None:
        import math

        now = now or time.time()
        if not math.isfinite(timestamp) or abs(now - timestamp) > self.window_s:
            raise AuthError(401, "timestamp outside the allowed clock skew")
        with self.engine.begin() as db:
            if now >= self._next_purge:
                with self._lock:
                    self._next_purge = now + self.window_s
                db.execute(NONCE_PURGE, {"now": now})
            fresh = db.execute(NONCE_INSERT, {"t": terminal_id, "n": nonce, "e": timestamp + 2 * self.window_s})
            if fresh.first() is None:
                raise AuthError(401, "replayed nonce")


class SharedRateLimiter:
    """Token buckets in one table; take() returns 0 when allowed, else the seconds to wait."""

    shared = True

    def __init__(self, engine: Engine, rate: float, burst: int):
        self.engine, self.rate, self.burst = engine, rate, burst

    def take(self, key: str, now: float | None = None) -> float:
        now = now or time.time()
        with self.engine.begin() as db:
            if db.execute(BUCKET_TAKE, {"k": key, "burst": self.burst, "rate": self.rate, "now": now}).first():
                return 0.0
            row = db.execute(BUCKET_READ, {"k": key}).first()
        tokens = min(self.burst, row.tokens + max(0.0, now - row.at) * self.rate) if row else 0.0
        return max(0.01, (1 - tokens) / self.rate)

    def wait(self, key: str, now: float | None = None) -> float:
        """What a new attempt must wait, spending nothing (security.FailureThrottle's interface)."""
        now = now or time.time()
        with self.engine.begin() as db:
            row = db.execute(BUCKET_READ, {"k": key}).first()
        if row is None:
            return 0.0
        tokens = min(self.burst, row.tokens + max(0.0, now - row.at) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def failed(self, key: str) -> None:
        self.take(key)


class SharedUploadGate:
    """At most `limit` pushes in flight over all processes: a lease row per admitted push (expiring, so a
    SIGKILLed process's leases free themselves)."""

    LEASE_S = 120.0
    shared = True

    def __init__(self, engine: Engine, limit: int):
        self.engine, self.limit = engine, limit
        self.prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}-"

    def try_enter(self) -> str | None:
        lease, now = self.prefix + uuid.uuid4().hex[:12], time.time()
        with self.engine.begin() as db:
            db.execute(LEASE_LOCK)
            got = db.execute(LEASE_TAKE, {"lease": lease, "expires": now + self.LEASE_S, "now": now,
                                          "limit": self.limit}).first()
        return lease if got else None

    def leave(self, lease: str) -> None:
        with self.engine.begin() as db:
            db.execute(LEASE_DROP, {"lease": lease, "now": time.time()})

    @property
    def in_flight(self) -> int:
        with self.engine.begin() as db:
            return db.scalar(text("SELECT count(*) FROM upload_leases WHERE expires_at >= :now"), {"now": time.time()})

    @staticmethod
    def retry_after() -> str:
        import random

        return retry_after_header(random.uniform(1, 5))
