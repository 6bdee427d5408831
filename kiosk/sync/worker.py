"""The background worker: drains the store's outbox to central, pulls configuration (and applies the approved
corrections it carries, kiosk.corrections), sends heartbeats.

It runs in its own thread and never blocks the caller: kick() only sets an event. Everything that must survive a
restart (what is queued, attempts, next try) is in the store's outbox; status() is a snapshot for the UI and the
heartbeat, also written to <sync_dir>/status.json for `kiosk sync status` in another process.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import httpx

from kiosk.clock import utcnow as _now
from kiosk.errors import KioskError, NotFound
from kiosk.store import OutboxItem, Store

from . import backoff
from .config import ConfigCache
from .files import write_json
from .wire import (API, FINAL_OUTCOMES, MAX_ACKS, CorrectionAck, CorrectionAckRequest, CorrectionAckResponse,
                   Heartbeat, PushItem, PushRequest, PushResponse)

log = logging.getLogger(__name__)
PARKED = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)  # a rejected entry: kept, never due again
REJECTED = "服务器拒收："
STATUS_FILE = "status.json"


@dataclass(frozen=True)
class SyncStatus:
    queued: int = 0
    sending: bool = False
    last_error: str = ""  # English, for logs and technicians
    next_try: str | None = None  # ISO time of the next attempt, None when idle
    last_success_at: str | None = None
    last_config_at: str | None = None
    sent: int = 0  # items acknowledged since start
    conflicts: int = 0  # pushes the server put in its conflict queue since start
    online: bool | None = None  # did the last exchange with central reach it (None: not tried yet)

    @property
    def message(self) -> str:
        """Chinese one-liner for the UI."""
        if self.online is False:
            return f"网络未连接，待上传 {self.queued} 条" if self.queued else "网络未连接"
        if self.sending:
            return f"正在上传，待上传 {self.queued} 条"
        if self.queued == 0:
            return "全部已上传"
        if self.last_error.startswith(REJECTED):  # the operator must act: say why
            return f"{self.last_error}（共 {self.queued} 条未上传）"
        return f"待上传 {self.queued} 条，网络恢复后自动上传"

    def as_json(self) -> dict:
        return {**asdict(self), "message": self.message}


class ServerBusy(Exception):
    def __init__(self, status: int, retry_after_s: float | None):
        super().__init__(f"HTTP {status}")
        self.retry_after_s = retry_after_s


class SyncWorker:
    def __init__(self, store: Store, client: httpx.Client, sync_dir: str | Path, *, app_version: str = "0",
                 peripherals: Callable[[], dict[str, str]] = dict, batch_size: int = 25,
                 config_period_s: float = 900.0, heartbeat_period_s: float = 300.0, start_spread_s: float = 30.0,
                 idle_poll_s: float = 60.0, backoff_base_s: float = backoff.BASE_S,
                 backoff_cap_s: float = backoff.CAP_S, rng: random.Random | None = None,
                 on_config: Callable[[], None] | None = None, retention: dt.timedelta | None = None):
        """on_config: called (on the worker's thread) after a new configuration was pulled and saved, e.g. to
        reload the roster and policy; retention: purge confirmed, signed records older than this, once per config
        period (None: never)."""
        self.store, self.client, self.sync_dir = store, client, Path(sync_dir)
        self.config = ConfigCache(self.sync_dir)
        self.app_version, self.peripherals, self.batch_size = app_version, peripherals, batch_size
        self.config_period_s, self.heartbeat_period_s = config_period_s, heartbeat_period_s
        self.start_spread_s, self.idle_poll_s = start_spread_s, idle_poll_s
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.rng = rng or random.Random()
        self.on_config, self.retention = on_config, retention
        self._status = SyncStatus(queued=store.outbox_depth())
        self._status_lock = threading.Lock()
        self._wake, self._stop = threading.Event(), threading.Event()
        self._hold_until = 0.0  # monotonic: the server asked everyone to wait (429/503) or is unreachable
        self._beat_now = threading.Event()
        self.staff_call = ""  # why someone at the terminal asked for staff ("" none): sent in every heartbeat
        self._thread: threading.Thread | None = None

    # -- public API ---------------------------------------------------------------------------------------------
    def start(self) -> "SyncWorker":
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def kick(self) -> None:
        """A record was saved: try soon. Returns at once."""
        self._wake.set()

    def call_staff(self, reason: str) -> None:
        """Someone at the terminal pressed 呼叫工作人员 (reason: what failed, no personal data), or "" when the
        call is over: the next heartbeat, sent at once, carries it as the `staff_call` peripheral."""
        if reason != self.staff_call:
            self.staff_call = reason[:100]
            self._beat_now.set()
            self._wake.set()

    def status(self) -> SyncStatus:
        with self._status_lock:
            return self._status

    # -- the loop -----------------------------------------------------------------------------------------------
    def _run(self) -> None:
        self._sleep(self.rng.uniform(0, self.start_spread_s))  # a county coming back online does not stampede
        next_config = next_heartbeat = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_config:
                    self.pull_config()
                    self.apply_corrections()
                    self.purge()
                    next_config = now + backoff.spread(self.config_period_s, self.rng)
                if now >= next_heartbeat or self._beat_now.is_set():
                    self._beat_now.clear()
                    self.send_heartbeat()
                    next_heartbeat = now + backoff.spread(self.heartbeat_period_s, self.rng)
                self.drain()
            except Exception:  # the worker must outlive any single failure
                log.exception("sync loop error")
            self._sleep(min(self._seconds_to_next_due(), next_config - time.monotonic(),
                            next_heartbeat - time.monotonic()))

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._wake.wait(seconds):
            self._wake.clear()

    def _seconds_to_next_due(self) -> float:
        hold = self._hold_until - time.monotonic()
        due = self.store.outbox_next_attempt()
        wait = self.idle_poll_s if due is None else (due - _now()).total_seconds()
        return max(hold, wait, 0.05 if due is not None else 0)

    # -- work ---------------------------------------------------------------------------------------------------
    def drain(self, deadline_s: float | None = None) -> int:
        """Sends every due outbox entry (in batches) until none is due or the server says wait. Returns items done."""
        done, started = 0, time.monotonic()
        while not self._stop.is_set() and time.monotonic() >= self._hold_until:
            if deadline_s is not None and time.monotonic() - started > deadline_s:
                break
            items = self.store.outbox_due(_now(), limit=self.batch_size)
            if not items:
                break
            done += self._send_batch(items)
        self._update(queued=self.store.outbox_depth(), sending=False, next_try=self._next_try())
        return done

    def _send_batch(self, items: list[OutboxItem]) -> int:
        self._update(sending=True, queued=self.store.outbox_depth())
        groups: dict[tuple[str, int], list[OutboxItem]] = {}
        for item in items:
            groups.setdefault((item.record_id, item.version), []).append(item)
        payload, unreadable = [], []
        for (record_id, version), group in list(groups.items()):
            try:
                item = self._push_item(record_id, version)
            except KioskError as exc:
                unreadable.extend((i, exc.detail) for i in group)
                continue
            if item is None:
                self._drop_superseded(groups.pop((record_id, version)))
            else:
                payload.append(item)
        for item, error in unreadable:
            self._retry([item], f"local: {error}", None)
        if not payload:
            return 0
        body = PushRequest(items=payload).model_dump_json().encode()
        keys = [(str(p.record.record_id), p.record.version) for p in payload]
        try:
            response = self.client.post(f"{API}/records", content=body, headers={"Content-Type": "application/json"})
            if response.status_code in (429, 503):
                raise ServerBusy(response.status_code, backoff.retry_after(response.headers.get("retry-after")))
            response.raise_for_status()
            results = PushResponse.model_validate_json(response.content).results
        except ServerBusy as exc:
            self._update(online=True)
            return self._fail([i for k in keys for i in groups[k]], f"server busy: {exc}", exc.retry_after_s)
        except (httpx.HTTPError, ValueError) as exc:
            if isinstance(exc, httpx.TransportError):
                self._update(online=False)
            return self._fail([i for k in keys for i in groups[k]], f"{type(exc).__name__}: {exc}"[:300], None)
        done = conflicts = 0
        for key, result in zip(keys, results):
            if result.outcome in FINAL_OUTCOMES:
                for item in groups[key]:
                    self.store.outbox_done(item.seq, item.record_id, item.version)
                done += len(groups[key])
                if result.outcome == "conflict":
                    conflicts += 1
                    log.warning("record sent to the server's conflict queue",
                                extra={"fields": {"record_id": key[0], "version": key[1], "reason": result.reason}})
            else:  # rejected: the record stays, is not sent again as it is, and the operator sees why
                for item in groups[key]:
                    self.store.outbox_retry(item.seq, f"rejected[{result.code}]: {result.message}", PARKED)
                self._update(last_error=f"{REJECTED}{result.message or result.reason}")
        status = self.status()
        self._update(sent=status.sent + done, conflicts=status.conflicts + conflicts, online=True,
                     last_success_at=_now().isoformat(), last_error="" if done == len(items) else status.last_error)
        return done

    def _push_item(self, record_id: str, version: int) -> PushItem | None:
        """The version as stored now (its latest state) with its JPEGs; None for an old version whose JPEGs the
        candidate has since replaced (the store keeps only the latest): the newer version supersedes it."""
        record = self.store.get_version(record_id, version)
        attachments = {}
        for kind in ("photo", "document"):
            sha = getattr(record, f"{kind}_sha256")
            if not sha:
                continue
            try:
                data = self.store.attachment(record_id, kind)
            except NotFound:  # a broken seal raises on: the item stays queued with a local error
                data = None
            if data is not None and hashlib.sha256(data).hexdigest() == sha:
                attachments[kind] = data
            elif self.store.get(record_id).version > version:
                return None
        return PushItem(record=record, **attachments)

    def _drop_superseded(self, items: list[OutboxItem]) -> None:
        for item in items:
            self.store.outbox_done(item.seq, item.record_id, 0)  # confirms nothing: version 0
        log.warning("superseded version not sent: its JPEGs were replaced by a newer version",
                    extra={"fields": {"record_id": items[0].record_id, "version": items[0].version}})

    def _fail(self, items: list[OutboxItem], error: str, retry_after_s: float | None) -> int:
        delay = self._retry(items, error, retry_after_s)
        self._hold_until = time.monotonic() + delay
        log.warning("push failed", extra={"fields": {"error": error, "items": len(items),
                                                     "retry_in_s": round(delay, 1)}})
        return 0

    def _retry(self, items: list[OutboxItem], error: str, retry_after_s: float | None) -> float:
        attempts = max(i.attempts for i in items)
        delay = backoff.next_delay(attempts, retry_after_s, self.rng, self.backoff_base_s, self.backoff_cap_s)
        moment = _now() + dt.timedelta(seconds=delay)
        for item in items:
            self.store.outbox_retry(item.seq, error, moment)
        self._update(last_error=error)
        return delay

    def _next_try(self) -> str | None:
        due = self.store.outbox_next_attempt()
        if due is None:
            return None
        hold = _now() + dt.timedelta(seconds=max(0.0, self._hold_until - time.monotonic()))
        return max(due, hold).isoformat()

    def pull_config(self) -> bool:
        try:
            changed = self.config.pull(self.client)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("config pull failed; keeping the last good copy", extra={"fields": {"error": repr(exc)[:200]}})
            if isinstance(exc, httpx.TransportError):
                self._update(online=False)
            return False
        self._update(last_config_at=_now().isoformat(), online=True)
        if changed and self.on_config is not None:
            try:
                self.on_config()
            except Exception:  # noqa: BLE001 - a bad reload keeps the previous roster and policy
                log.exception("reloading the pulled configuration failed")
        return changed

    def apply_corrections(self) -> list[CorrectionAck]:
        """Applies the approved corrections of the last good config to the store (each once, kiosk.corrections) and
        acknowledges them to central, which then stops sending them. Offline they are applied all the same and
        acknowledged at a later round. Returns the acknowledgements central took."""
        config = self.config.last_good()
        if config is None or not config.corrections:
            return []
        from kiosk.corrections import apply_corrections
        from kiosk.policy import get_policy

        acks = apply_corrections(self.store, config.corrections, lambda name: get_policy(name, self.config.policy_dir))
        if any(a.outcome == "applied" for a in acks):
            self.kick()  # the corrected versions are in the outbox
        taken = []
        for start in range(0, len(acks), MAX_ACKS):
            chunk = acks[start:start + MAX_ACKS]
            try:
                response = self.client.post(f"{API}/corrections/ack",
                                             content=CorrectionAckRequest(acks=chunk).model_dump_json().encode(),
                                             headers={"Content-Type": "application/json"})
                response.raise_for_status()
                results = CorrectionAckResponse.model_validate_json(response.content).results
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("correction acknowledgement failed", extra={"fields": {"error": repr(exc)[:200]}})
                if isinstance(exc, httpx.TransportError):
                    self._update(online=False)
                break
            for result in results:
                if not result.ok:
                    log.warning("correction acknowledgement not taken",
                                extra={"fields": {"correction_id": result.correction_id, "reason": result.reason}})
            ok = {r.correction_id for r in results if r.ok}
            taken += [a for a in chunk if a.correction_id in ok]
        return taken

    def purge(self) -> int:
        """The retention purge: confirmed, signed records older than `retention` leave the terminal."""
        if self.retention is None:
            return 0
        return self.store.purge_confirmed(self.retention)

    def send_heartbeat(self) -> bool:
        status = self.status()
        peripherals = dict(self.peripherals())
        if self.staff_call:
            peripherals["staff_call"] = self.staff_call
        beat = Heartbeat(app_version=self.app_version, peripherals=peripherals,
                         outbox_depth=self.store.outbox_depth(), last_sync_error=status.last_error[:500])
        try:
            self.client.post(f"{API}/heartbeat", content=beat.model_dump_json().encode(),
                             headers={"Content-Type": "application/json"}).raise_for_status()
            self._update(online=True)
            return True
        except httpx.HTTPError as exc:
            log.info("heartbeat failed", extra={"fields": {"error": repr(exc)[:200]}})
            if isinstance(exc, httpx.TransportError):
                self._update(online=False)
            return False

    def _update(self, **changes) -> None:
        with self._status_lock:
            self._status = replace(self._status, **changes)
            snapshot = self._status.as_json()
        try:
            write_json(self.sync_dir / STATUS_FILE, snapshot)
        except OSError:
            log.warning("status file not written")
