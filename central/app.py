"""The FastAPI application factory: terminal API under /api/v1, OpenAPI at /openapi.json.

In front of everything: central.limits.BodyLimit (bounded bodies, signed routes pre-checked before their body is
read), then the upload gate. Error answers never echo the request: validation errors carry location and message
only, and nothing logs a body.
"""
from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kiosk.policy import load_policies
from kiosk import wire
from kiosk.wire import (API, Ack, ConfigResponse, CorrectionAckRequest, CorrectionAckResponse, EnrollRequest,
                        EnrollResponse, Heartbeat, Problem, PushRequest, PushResponse, PushResult, SelfTestReport,
                        ValidationProblem, response_message)

from . import console, ingest, models, terminals
from .console import corrections
from .auth import Caller, authenticate, make_precheck
from .db import GroupCommit, make_engine, migrate, session_factory
from .keys import cached_school_key, load_or_create_server_key, public_bytes, public_key_problem
from .limits import CAPS, BodyLimit, push_cap
from .records import DataKeys, key_file
from .security import (ConcurrencyGate, FailureThrottle, NonceCache, QueueDelayAdmission, RateLimiter,
                       retry_after_header)
from .shared import SharedNonces, SharedRateLimiter, SharedUploadGate
from .settings import Settings
from .storage import open_storage

log = logging.getLogger(__name__)
PUSH_PATH = f"{API}/records"
TX_ATTEMPTS = 5
COUNTY_CACHE_S = 60.0  # schools loaded with load-schools reach the scope check within this time
ENROLL_RATE, ENROLL_BURST = 0.2, 5  # failed enrollments per client address: 5, then one every 5 s


class DecommissionRequest(BaseModel):
    """The terminal names itself: a request signed by one terminal cannot retire another by mistake."""
    model_config = ConfigDict(extra="forbid")
    terminal_id: str = Field(max_length=40)


def _problems(*codes: int) -> dict:
    return {code: {"model": ValidationProblem if code == 422 else Problem} for code in codes}


AUTH_PROBLEMS = _problems(401, 403, 413, 422, 429)
# The signed-request headers, declared as security schemes so the OpenAPI document says how to authenticate.
SCHEMES = [APIKeyHeader(name=name, auto_error=False, description=text) for name, text in (
    (wire.H_TERMINAL, "terminal id from enrollment"), (wire.H_TIMESTAMP, "Unix time in seconds, a finite decimal"),
    (wire.H_NONCE, "random, never reused"),
    (wire.H_SIGNATURE, "hex Ed25519 signature of kiosk.wire.signing_message(method, path, timestamp, nonce, "
                       "body)"))]


def private_data_dir(settings: Settings) -> None:
    """The data directory 0700 and the SQLite file 0600 (made so before SQLite opens it: its WAL and shared-memory
    files take the database file's mode), also when an older version made them wider. `kiosk-central` also sets
    umask 077 at start (central.cli); an embedding process keeps its own umask."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        db = Path(url.removeprefix("sqlite:///"))
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
        for path in db.parent.glob(db.name + "*"):
            path.chmod(0o600)


SETTINGS_ENV = "KIOSK_CENTRAL_SETTINGS"  # serve --workers: the settings each worker process builds its app from


def prepare(settings: Settings) -> None:
    """What must exist once before several processes start: private data folder, keys, the newest schema."""
    private_data_dir(settings)
    keys = DataKeys.load(key_file(settings.data_key_file, settings.data_dir))
    load_or_create_server_key(keys.path.parent / "server-signing.key")
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()


def app_from_environment() -> FastAPI:
    """uvicorn's app factory for `kiosk-central serve --workers N` (settings from SETTINGS_ENV)."""
    from kiosk.logs import configure_logging

    os.umask(0o077)
    configure_logging(os.environ.get("KIOSK_CENTRAL_LOG_LEVEL", "WARNING"))
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


class Central:
    """Everything a request needs: database, storage, keys, limits. One per app."""

    def __init__(self, settings: Settings):
        private_data_dir(settings)
        self.settings = settings
        self.data_keys = DataKeys.load(key_file(settings.data_key_file, settings.data_dir))
        self.server_key = load_or_create_server_key(self.data_keys.path.parent / "server-signing.key")
        self.engine = make_engine(settings.database_url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine, data_keys=self.data_keys)
        self.storage = open_storage(settings.attachments, settings.data_dir, settings.s3_endpoint, self.data_keys)
        self.policy_map = load_policies(settings.policy_dir)
        # several processes on one PostgreSQL share nonces, rate buckets and the upload cap through it
        shared = self.engine.dialect.name == "postgresql"
        skew, rate, burst = settings.clock_skew_s, settings.rate_per_terminal, settings.burst_per_terminal
        self.nonces = SharedNonces(self.engine, skew) if shared else NonceCache(skew)
        self.rates = SharedRateLimiter(self.engine, rate, burst) if shared else RateLimiter(rate, burst)
        self.enroll_failures = (SharedRateLimiter(self.engine, ENROLL_RATE, ENROLL_BURST) if shared
                                else FailureThrottle(ENROLL_RATE, ENROLL_BURST))
        limit = settings.max_concurrent_uploads
        self.uploads = SharedUploadGate(self.engine, limit) if shared else ConcurrencyGate(limit)
        self.admission = QueueDelayAdmission(settings.queue_target_s)
        self.terminal_cache: dict[str, object] = {}  # see central.auth
        self._counties: dict[str, str | None] = {}
        self._counties_at = 0.0
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

    def counties(self, codes: set[str]) -> dict[str, str]:
        """School code -> county code for the known ones; read from the schools table at most every 60 s."""
        now = time.monotonic()
        if now - self._counties_at > COUNTY_CACHE_S:
            self._counties, self._counties_at = {}, now
        cache = self._counties  # this call's copy: another thread may start a fresh one
        missing = codes - cache.keys()
        if missing:
            with self.sessions() as session:
                found = dict(session.execute(select(models.School.code, models.School.county_code)
                                             .where(models.School.code.in_(missing))).all())
            cache.update({code: found.get(code) for code in missing})
        return {code: cache[code] for code in codes if cache.get(code)}

    def policies(self) -> list[dict]:
        return [p.model_dump(mode="json") for p in self.policy_map.values()]

    def sign_response(self, status: int, request: Request, body: bytes) -> str:
        nonce = request.headers.get(wire.H_NONCE, "")
        return self.server_key.sign(response_message(status, nonce, body)).hex()


def _retryable(exc: DBAPIError) -> bool:
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", "") in ("40001", "40P01")


def _validation_errors(errors) -> list[dict]:
    """Location, type and message of each error: never the input (it may be a body full of personal data)."""
    return [{"loc": [str(p)[:64] for p in e.get("loc", ())][:8], "type": str(e.get("type", ""))[:60],
             "msg": str(e.get("msg", ""))[:200]} for e in list(errors)[:20]]


def create_app(settings: Settings) -> FastAPI:
    central = Central(settings)
    app = FastAPI(title="河南省初中学业水平考试考生信息采集 中心服务", version="1", description=__doc__)
    app.state.central = central

    app.add_middleware(BodyLimit, caps={**CAPS, **console.CAPS, PUSH_PATH: push_cap(central.policy_map.values())},
                       prefix_caps=console.PREFIX_CAPS, precheck=make_precheck(central),
                       gates={PUSH_PATH: (central.admission, central.uploads)})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return JSONResponse({"detail": _validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.error("request failed", extra={"fields": {"path": request.url.path, "error": type(exc).__name__}})
        return JSONResponse({"detail": "internal error"}, status_code=500)

    async def caller(request: Request, x_terminal_id: str | None = Security(SCHEMES[0]),
                     x_timestamp: str | None = Security(SCHEMES[1]), x_nonce: str | None = Security(SCHEMES[2]),
                     x_signature: str | None = Security(SCHEMES[3])) -> Caller:
        return await authenticate(central, request, x_terminal_id, x_timestamp, x_nonce, x_signature)

    def parse(model, body: bytes):
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_context=False,
                                                    include_input=False)) from None

    @app.get(f"{API}/health", tags=["ops"])
    def health() -> dict:
        return {"ok": True}

    @app.post(f"{API}/enroll", status_code=201, response_model=EnrollResponse, tags=["terminal"],
              openapi_extra=_body_of(EnrollRequest), responses=_problems(403, 409, 413, 422, 429))
    async def enroll(raw: Request) -> Response:
        client = f"enroll:{raw.client.host if raw.client else '?'}"
        wait = await run_in_threadpool(central.enroll_failures.wait, client)
        if wait:
            raise HTTPException(429, "too many failed enrollments", headers={"Retry-After": retry_after_header(wait)})
        try:
            request = parse(EnrollRequest, await raw.body())
            problem = public_key_problem(request.public_key)
            if problem:  # small order or not a point: a forged signature could verify for it
                raise HTTPException(403, f"enrollment refused: {problem}")
            try:
                answer, created = await run_in_threadpool(central.write, lambda s: terminals.enroll(s, request))
            except terminals.EnrollError as exc:
                raise HTTPException(exc.status, exc.reason) from None
        except (HTTPException, RequestValidationError):
            await run_in_threadpool(central.enroll_failures.failed, client)
            raise
        log.info("terminal enrolled", extra={"fields": {"terminal": answer.terminal_id, "new": created}})
        answer = answer.model_copy(update={"server_public_key": public_bytes(central.server_key)})
        return Response(answer.model_dump_json(), status_code=201 if created else 200, media_type="application/json")

    @app.get(f"{API}/config", response_model=ConfigResponse, tags=["terminal"],
             responses={**AUTH_PROBLEMS, 304: {"description": "not modified (If-None-Match)"}})
    def config(request: Request, who: Caller = Depends(caller)):
        keys = central.data_keys
        if who.scope.role == "school" and cached_school_key(keys, who.scope.school_code) is None:  # first pull
            central.write(lambda s: terminals.ensure_school_key(s, s.get(models.Terminal, who.terminal_id), keys))
        with central.sessions() as session:
            terminal = session.get(models.Terminal, who.terminal_id)
            returning, return_list = terminals.returns_for(session, terminal, keys)
            password_key, taken = terminals.password_parts(session, terminal, keys)
            body = ConfigResponse(terminal_id=terminal.terminal_id, role=terminal.role,
                                  school_code=terminal.school_code, county_code=terminal.county_code,
                                  server_time=models.utcnow(), policies=central.policies(),
                                  schools=terminals.schools_for(session, terminal),
                                  roster=terminals.roster_for(session, terminal, keys),
                                  return_candidates=returning, return_list=return_list,
                                  password_key=password_key, password_taken=taken,
                                  corrections=corrections.for_terminal(session, terminal.terminal_id, keys))
        content = body.model_dump(mode="json", exclude={"server_time"})
        etag = '"' + hashlib.sha256(repr(content).encode()).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        data = body.model_dump_json().encode()
        return Response(data, media_type="application/json", headers={
            "ETag": etag, wire.H_SERVER_SIGNATURE: central.sign_response(200, request, data)})

    @app.post(PUSH_PATH, response_model=PushResponse, tags=["terminal"], openapi_extra=_body_of(PushRequest),
              responses={**AUTH_PROBLEMS, **_problems(503)})
    async def push(raw: Request, who: Caller = Depends(caller)) -> Response:
        # parsed here from the raw bytes (pydantic's JSON parser), the hot path's largest saving
        started = time.monotonic()  # waits (not the request's own work) are what admission decides by
        waited = started - getattr(raw.state, "admitted_at", started)  # the event loop's queue, and the auth
        request = parse(PushRequest, await raw.body())
        results = await run_in_threadpool(_push, central, who, request, waited, time.monotonic())
        return Response(PushResponse(results=results).model_dump_json(), media_type="application/json")

    _add_schemas(app, PushRequest, EnrollRequest)

    @app.post(f"{API}/heartbeat", response_model=Ack, tags=["terminal"], responses=AUTH_PROBLEMS)
    def heartbeat(beat: Heartbeat, who: Caller = Depends(caller)) -> Ack:
        now = models.utcnow()

        def work(session):
            terminal = session.get(models.Terminal, who.terminal_id)
            terminal.app_version, terminal.peripherals = beat.app_version, beat.peripherals
            terminal.outbox_depth, terminal.last_sync_error = beat.outbox_depth, beat.last_sync_error
            terminal.last_seen_at = now
            terminal.clock_skew_s = round(who.timestamp - now.timestamp(), 3)  # shown to operators, never trusted
            session.add(models.Heartbeat(terminal_id=who.terminal_id, app_version=beat.app_version,
                                         peripherals=beat.peripherals, outbox_depth=beat.outbox_depth))

        central.write(work)
        return Ack(server_time=now)

    @app.post(f"{API}/corrections/ack", response_model=CorrectionAckResponse, tags=["terminal"],
              responses=AUTH_PROBLEMS)
    def correction_ack(request: CorrectionAckRequest, who: Caller = Depends(caller)) -> CorrectionAckResponse:
        """The terminal applied (or could not apply) approved corrections it pulled with its config."""
        results = central.write(lambda s: corrections.acknowledge(s, who.terminal_id, request.acks))
        return CorrectionAckResponse(results=results)

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


def _push(central: Central, who: Caller, request: PushRequest, waited: float, queued_at: float) -> list[PushResult]:
    """waited: seconds this push has queued so far; queued_at: when it was handed to the thread pool."""
    waited += time.monotonic() - queued_at  # the thread pool's queue
    counties = central.counties({item.record.school_code for item in request.items})
    checked = [ingest.check(item, who.scope, central.policy_map, counties) for item in request.items]
    # every JPEG of the request durable (files and directories fsynced) before the transaction that names them
    blobs = [blob for problem, item_blobs in checked if not problem for blob in item_blobs]
    if blobs:
        central.storage.put_many(blobs, pool=central.io_pool)
    # what needs no database is done here, in parallel with other requests, not in the one writer's transaction
    prepared = [None if problem else ingest.prepare(who.terminal_id, item, central.data_keys)
                for item, (problem, _) in zip(request.items, checked)]

    submitted = time.monotonic()

    def work(session):
        central.admission.observe(waited + time.monotonic() - submitted)  # + the one writer's queue
        results = []
        for item, (problem, _), ready in zip(request.items, checked, prepared):
            if problem:
                ingest.audit(session, who.terminal_id, "push", problem.code, str(item.record.record_id),
                             problem.detail)
                results.append(ingest.rejected(item, problem))
            else:
                results.append(ingest.ingest(session, who.terminal_id, ready))
        return results

    results = central.commit_group(work)
    log.info("records pushed", extra={"fields": {"terminal": who.terminal_id,
                                                  **collections.Counter(r.outcome for r in results)}})
    for r in results:
        if r.outcome in ("conflict", "rejected"):
            log.warning("push not taken as is", extra={"fields": {
                "terminal": who.terminal_id, "record_id": r.record_id, "version": r.version, "outcome": r.outcome,
                "code": r.code, "reason": r.reason}})
    return results


def _body_of(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def _add_schemas(app: FastAPI, *models_) -> None:
    """Puts body models parsed by hand (see push, enroll) into the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models_:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
                components.setdefault(name, definition)
        return document

    app.openapi = openapi


__all__ = ["Central", "create_app"]
