"""Signed requests: the header pre-check (before any body byte is read, see central.limits) and the full check
(signature over the body, revocation, clock skew, start time, nonce, rate).

X-Timestamp must be a finite decimal number of seconds (kiosk.wire.TIMESTAMP): NaN, inf, exponents and signs are
refused before any comparison.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from kiosk.wire import API, H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, NONCE, TIMESTAMP

from . import models
from .keys import public_key_problem
from .scope import TerminalScope
from .security import AuthError, retry_after_header, verify_signature

log = logging.getLogger(__name__)
TERMINAL_CACHE_S = 2.0  # a revocation takes effect within this time
UNSIGNED = {f"{API}/enroll", f"{API}/health"}


@dataclass(frozen=True)
class KnownTerminal:
    public_key: Ed25519PublicKey
    revoked: bool
    scope: TerminalScope
    fetched: float


@dataclass(frozen=True)
class Caller:
    terminal_id: str
    timestamp: float  # the terminal's clock when it signed
    scope: TerminalScope


def header_problem(terminal_id: str | None, timestamp: str | None, nonce: str | None,
                   signature: str | None) -> str:
    if not (terminal_id and timestamp and nonce and signature):
        return "signed request headers missing"
    if len(terminal_id) > 40 or not NONCE.fullmatch(nonce) or not TIMESTAMP.fullmatch(timestamp):
        return "malformed signed request headers"
    if len(signature) != 128:
        return "malformed signature headers"
    return ""


def make_precheck(central):
    """For central.limits.BodyLimit: signed routes whose headers are missing, malformed or name no known terminal
    are answered 401 before their body is read."""

    async def precheck(scope) -> tuple[int, str] | None:
        path = scope["path"]
        if not path.startswith(API) or path in UNSIGNED:
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        terminal_id = headers.get(H_TERMINAL.lower())
        problem = header_problem(terminal_id, headers.get(H_TIMESTAMP.lower()), headers.get(H_NONCE.lower()),
                                 headers.get(H_SIGNATURE.lower()))
        if problem:
            return 401, problem
        try:
            cached_terminal(central, terminal_id) or await run_in_threadpool(load_terminal, central, terminal_id)
        except AuthError as exc:
            return exc.status, exc.reason
        return None

    return precheck


async def authenticate(central, request: Request, terminal_id, timestamp, nonce, signature) -> Caller:
    problem = header_problem(terminal_id, timestamp, nonce, signature)
    if problem:
        raise HTTPException(401, problem)
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        terminal = cached_terminal(central, terminal_id) or await run_in_threadpool(load_terminal, central,
                                                                                    terminal_id)
        try:
            raw_signature = bytes.fromhex(signature)
        except ValueError:
            raise AuthError(401, "malformed signature headers") from None
        verify_signature(terminal.public_key, raw_signature, request.method, path, timestamp, nonce, body)
        if terminal.revoked:
            raise AuthError(403, "terminal revoked")
        moment = float(timestamp)
        await _call(central.nonces.check_and_add, terminal_id, nonce, moment)
    except AuthError as exc:
        log.warning("request refused", extra={"fields": {"terminal": terminal_id, "reason": exc.reason}})
        raise HTTPException(exc.status, exc.reason) from None
    wait = await _call(central.rates.take, terminal_id)
    if wait:
        raise HTTPException(429, "rate limit", headers={"Retry-After": retry_after_header(wait)})
    return Caller(terminal_id, moment, terminal.scope)


async def _call(method, *args):
    """Shared (database) limiters block on the database: in the thread pool. In-memory ones: right here."""
    if getattr(method.__self__, "shared", False):
        return await run_in_threadpool(method, *args)
    return method(*args)


def cached_terminal(central, terminal_id: str) -> KnownTerminal | None:
    known = central.terminal_cache.get(terminal_id)
    return known if known and time.monotonic() - known.fetched <= TERMINAL_CACHE_S else None


def load_terminal(central, terminal_id: str) -> KnownTerminal:
    """The terminal's key, scope and revocation, re-read from the database at most every TERMINAL_CACHE_S."""
    known = cached_terminal(central, terminal_id)
    if known is None:
        T = models.Terminal
        with central.sessions() as session:
            row = session.execute(select(T.public_key, T.revoked_at, T.role, T.school_code, T.county_code)
                                  .where(T.terminal_id == terminal_id)).first()
        if row is None:
            raise AuthError(401, "unknown terminal")
        try:
            if public_key_problem(row.public_key):  # one enrolled before keys were checked: never trusted
                raise ValueError("small-order or non-canonical key")
            key = Ed25519PublicKey.from_public_bytes(row.public_key)  # parsed once, not per request
        except ValueError:
            raise AuthError(401, "unusable terminal key") from None
        known = KnownTerminal(key, row.revoked_at is not None,
                              TerminalScope(terminal_id, row.role, row.school_code, row.county_code), time.monotonic())
        central.terminal_cache[terminal_id] = known
    return known
