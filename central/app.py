"""The FastAPI application factory: terminal API under /api/v1, OpenAPI at /openapi.json."""
from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, FastAPI, HTTPException, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kiosk.policy import load_policies
from kiosk.sync import wire
from kiosk.sync.wire import (API, Ack, ConfigResponse, EnrollRequest, EnrollResponse, Heartbeat, Problem,
                             PushRequest, PushResponse, PushResult, SelfTestReport)

from . import console, ingest, models, terminals
from .db import GroupCommit, make_engine, migrate, session_factory
from .security import (AuthError, ConcurrencyGate, NonceCache, RateLimiter, UploadGate, retry_after_header,
                       verify_signature)
from .settings import Settings
from .storage import open_storage

log = logging.getLogger(__name__)
PUSH_PATH = f"{API}/records"
TX_ATTEMPTS = 5
TERMINAL_CACHE_S = 2.0  # a revocation takes effect within this time


@dataclass(frozen=True)
class Caller:
    terminal_id: str


class DecommissionRequest(BaseModel):
    """The terminal names itself: a request signed by one terminal cannot retire another by mistake."""
    model_config = ConfigDict(extra="forbid")
    terminal_id: str = Field(max_length=40)


def _problems(*codes: int) -> dict:
    return {code: {"model": Problem} for code in codes}


AUTH_PROBLEMS = _problems(400, 401, 403, 429)  # 400: a body that is not JSON
# The signed-request headers, declared as security schemes so the OpenAPI document says how to authenticate.
SCHEMES = [APIKeyHeader(name=name, auto_error=False, description=text) for name, text in (
    (wire.H_TERMINAL, "terminal id from enrollment"), (wire.H_TIMESTAMP, "Unix time in seconds"),
    (wire.H_NONCE, "random, never reused"),
    (wire.H_SIGNATURE, "hex Ed25519 signature of kiosk.sync.wire.signing_message(method, path, timestamp, nonce, "
                       "body)"))]


class Central:
    """Everything a request needs: database, storage, limits. One per app."""

    def __init__(self, settings: Settings):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.storage = open_storage(settings.attachments, settings.data_dir, settings.s3_endpoint)
        self.nonces = NonceCache(settings.clock_skew_s)
        self.rates = RateLimiter(settings.rate_per_terminal, settings.burst_per_terminal)
        self.uploads = ConcurrencyGate(settings.max_concurrent_uploads)
        self.terminal_cache: dict[str, object] = {}  # see _terminal()
        self.io_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="attachments")
        # SQLite takes one writer at a time: serialise writers here instead of failing on "database is locked".
        self._write_lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self._group = GroupCommit(self.write) if self._write_lock else None

    def write(self, work):
        """Runs work(session) in a write transaction, retried on a serialisation failure or duplicate key."""
        for attempt in range(TX_ATTEMPTS):
            try:
                with self._write_lock or contextlib.nullcontext(), self.sessions.begin() as session:
                    return work(session)
            except (IntegrityError, DBAPIError) as exc:
                if attempt == TX_ATTEMPTS - 1 or not _retryable(exc):
                    raise
                log.info("write retried", extra={"fields": {"error": type(exc.orig).__name__}})

    def commit_group(self, work):
        """Pushes on SQLite share transactions (group commit): one writer at a time either way, so pushes that
        queue up while one commits go in together and share its fsync. Elsewhere: a transaction each."""
        if self._group is None:
            return self.write(work)
        return self._group.submit(work)

    def policies(self) -> list[dict]:
        return [p.model_dump(mode="json") for p in load_policies(self.settings.policy_dir).values()]


def _retryable(exc: DBAPIError) -> bool:
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", "") in ("40001", "40P01")


def create_app(settings: Settings) -> FastAPI:
    central = Central(settings)
    app = FastAPI(title="河南省初中学业水平考试考生信息采集 中心服务", version="1", description=__doc__)
    app.state.central = central

    app.add_middleware(UploadGate, gate=central.uploads, path=PUSH_PATH)

    async def caller(request: Request, x_terminal_id: str | None = Security(SCHEMES[0]),
                     x_timestamp: str | None = Security(SCHEMES[1]), x_nonce: str | None = Security(SCHEMES[2]),
                     x_signature: str | None = Security(SCHEMES[3])) -> Caller:
        if not (x_terminal_id and x_timestamp and x_nonce and x_signature):
            raise HTTPException(401, "signed request headers missing")
        if len(x_terminal_id) > 40 or not 8 <= len(x_nonce) <= 64:
            raise HTTPException(401, "malformed signed request headers")
        body = await request.body()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            terminal = _cached_terminal(central, x_terminal_id) or await run_in_threadpool(_terminal, central,
                                                                                            x_terminal_id)
            try:
                signature, timestamp = bytes.fromhex(x_signature), float(x_timestamp)
            except ValueError:
                raise AuthError(401, "malformed signature headers") from None
            verify_signature(terminal.public_key, signature, request.method, path, x_timestamp, x_nonce, body)
            if terminal.revoked:
                raise AuthError(403, "terminal revoked")
            central.nonces.check_and_add(x_terminal_id, x_nonce, timestamp)
        except AuthError as exc:
            log.warning("request refused", extra={"fields": {"terminal": x_terminal_id, "reason": exc.reason}})
            raise HTTPException(exc.status, exc.reason) from None
        wait = central.rates.take(x_terminal_id)
        if wait:
            raise HTTPException(429, "rate limit", headers={"Retry-After": retry_after_header(wait)})
        return Caller(x_terminal_id)

    @app.get(f"{API}/health", tags=["ops"])
    def health() -> dict:
        return {"ok": True}

    @app.post(f"{API}/enroll", status_code=201, response_model=EnrollResponse, tags=["terminal"],
              responses=_problems(400, 403, 409))
    def enroll(request: EnrollRequest, response: Response) -> EnrollResponse:
        try:
            answer, created = central.write(lambda session: terminals.enroll(session, request))
        except terminals.EnrollError as exc:
            raise HTTPException(exc.status, exc.reason) from None
        if not created:
            response.status_code = 200
        log.info("terminal enrolled", extra={"fields": {"terminal": answer.terminal_id, "new": created}})
        return answer

    @app.get(f"{API}/config", response_model=ConfigResponse, tags=["terminal"],
             responses={**AUTH_PROBLEMS, 304: {"description": "not modified (If-None-Match)"}})
    def config(request: Request, who: Caller = Depends(caller)):
        with central.sessions() as session:
            terminal = session.get(models.Terminal, who.terminal_id)
            body = ConfigResponse(terminal_id=terminal.terminal_id, role=terminal.role,
                                  school_code=terminal.school_code, county_code=terminal.county_code,
                                  server_time=models.utcnow(), policies=central.policies(),
                                  schools=terminals.schools_for(session, terminal),
                                  roster=terminals.roster_for(session, terminal))
        content = body.model_dump(mode="json", exclude={"server_time"})
        etag = '"' + hashlib.sha256(repr(content).encode()).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(body.model_dump(mode="json"), headers={"ETag": etag})

    @app.post(PUSH_PATH, response_model=PushResponse, tags=["terminal"], openapi_extra=_body_of(PushRequest),
              responses={**AUTH_PROBLEMS, **_problems(503)})
    async def push(raw: Request, who: Caller = Depends(caller)) -> Response:
        # parsed here from the raw bytes (pydantic's JSON parser), the hot path's largest saving
        try:
            request = PushRequest.model_validate_json(await raw.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
        results = await run_in_threadpool(_push, central, who.terminal_id, request)
        return Response(PushResponse(results=results).model_dump_json(), media_type="application/json")

    _add_schemas(app, PushRequest)
    @app.post(f"{API}/heartbeat", response_model=Ack, tags=["terminal"], responses=AUTH_PROBLEMS)
    def heartbeat(beat: Heartbeat, who: Caller = Depends(caller)) -> Ack:
        def work(session):
            terminal = session.get(models.Terminal, who.terminal_id)
            terminal.app_version, terminal.peripherals = beat.app_version, beat.peripherals
            terminal.outbox_depth, terminal.last_sync_error = beat.outbox_depth, beat.last_sync_error
            terminal.last_seen_at = models.utcnow()
            session.add(models.Heartbeat(terminal_id=who.terminal_id, app_version=beat.app_version,
                                         peripherals=beat.peripherals, outbox_depth=beat.outbox_depth))

        central.write(work)
        return Ack(server_time=models.utcnow())

    @app.post(f"{API}/self-tests", response_model=Ack, status_code=201, tags=["terminal"], responses=AUTH_PROBLEMS)
    def self_test(report: SelfTestReport, who: Caller = Depends(caller)) -> Ack:
        central.write(lambda session: session.add(models.SelfTest(
            terminal_id=who.terminal_id, ok=report.ok, report=report.model_dump(mode="json"))))
        return Ack(server_time=models.utcnow())

    @app.post(f"{API}/decommission", response_model=Ack, tags=["terminal"], responses={**AUTH_PROBLEMS,
                                                                                       **_problems(409)})
    def decommission(request: DecommissionRequest, who: Caller = Depends(caller)) -> Ack:
        """A technician retires the terminal (kiosk-provision decommission): it is revoked at once."""
        if request.terminal_id != who.terminal_id:
            raise HTTPException(409, "terminal_id is not the signing terminal")
        central.write(lambda session: terminals.revoke(session, who.terminal_id))
        central.terminal_cache.pop(who.terminal_id, None)
        log.info("terminal decommissioned", extra={"fields": {"terminal": who.terminal_id}})
        return Ack(server_time=models.utcnow())

    console.mount(app)  # the operator console under /console
    return app


@dataclass(frozen=True)
class KnownTerminal:
    public_key: Ed25519PublicKey
    revoked: bool
    fetched: float


def _push(central: Central, terminal_id: str, request: PushRequest) -> list[PushResult]:
    checked = [ingest.check_attachments(item) for item in request.items]
    # every JPEG of the request durable (files and directories fsynced) before the transaction that names them
    blobs = [blob for rejected, item_blobs in checked if not rejected for blob in item_blobs]
    if blobs:
        central.storage.put_many(blobs, pool=central.io_pool)
    # what needs no database is done here, in parallel with other requests, not in the one writer's transaction
    prepared = [None if rejected else ingest.prepare(terminal_id, item) for item, (rejected, _) in zip(request.items,
                                                                                                      checked)]

    def work(session):
        return [PushResult(record_id=str(item.record.record_id), version=item.record.version, outcome="rejected",
                           reason=rejected) if rejected else ingest.ingest(session, terminal_id, ready)
                for item, (rejected, _), ready in zip(request.items, checked, prepared)]

    results = central.commit_group(work)
    log.info("records pushed", extra={"fields": {"terminal": terminal_id,
                                                  **collections.Counter(r.outcome for r in results)}})
    for r in results:
        if r.outcome in ("conflict", "rejected"):
            log.warning("push not taken as is", extra={"fields": {
                "terminal": terminal_id, "record_id": r.record_id, "version": r.version, "outcome": r.outcome,
                "reason": r.reason}})
    return results


def _body_of(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def _add_schemas(app: FastAPI, model) -> None:
    """Puts a body model parsed by hand (see push) into the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            components.setdefault(name, definition)
        return document

    app.openapi = openapi


def _cached_terminal(central: Central, terminal_id: str) -> KnownTerminal | None:
    known = central.terminal_cache.get(terminal_id)
    return known if known and time.monotonic() - known.fetched <= TERMINAL_CACHE_S else None


def _terminal(central: Central, terminal_id: str) -> KnownTerminal:
    """The terminal's key and revocation, re-read from the database at most every TERMINAL_CACHE_S seconds."""
    known = _cached_terminal(central, terminal_id)
    if known is None:
        with central.sessions() as session:
            row = session.execute(select(models.Terminal.public_key, models.Terminal.revoked_at)
                                  .where(models.Terminal.terminal_id == terminal_id)).first()
        if row is None:
            raise AuthError(401, "unknown terminal")
        try:
            key = Ed25519PublicKey.from_public_bytes(row.public_key)  # parsed once, not per request
        except ValueError:
            raise AuthError(401, "unusable terminal key") from None
        known = KnownTerminal(key, row.revoked_at is not None, time.monotonic())
        central.terminal_cache[terminal_id] = known
    return known


__all__ = ["Central", "create_app"]
