"""The terminal's core, assembled once: config -> TerminalPaths -> store -> pulled policy and roster -> sync worker
-> sessions. No devices here (kiosk/ never imports drivers/): ui/wiring.py adds them, and the demo's embedded
central server, on top of this for the touch app, the robot and the commands.

    core = open_core(config, identity=TerminalIdentity.load(config.paths.sync_dir))
    session = core.session()          # policy and roster as pulled, clock injected, on_saved -> sync kick
    ...
    core.close()

The policy applied is the one central serves under the configured name (the last good pulled copy), else the
shipped one; the roster is the pulled one. Both are reloaded when the sync worker saves a newer configuration.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kiosk.clock import Clock, utcnow
from kiosk.config import TerminalConfig
from kiosk.eligibility import RosterEntry, RosterTable, Terminal
from kiosk.errors import KioskError
from kiosk.password_reuse import PasswordBook
from kiosk.paths import TerminalPaths
from kiosk.policy import Policy, get_policy
from kiosk.record import Record
from kiosk.store import Store

log = logging.getLogger(__name__)
Say = Callable[[str], None]


def _match_faces(live_jpeg: bytes, card_jpeg: bytes):
    from kiosk.photo import match_faces  # the face model and MediaPipe load on the first match, not at start

    return match_faces(live_jpeg, card_jpeg)


class PulledConfig:
    """The policy and roster the terminal applies, from the last good configuration pulled from central (kept on
    disk for offline use), the shipped policy when central served none of that name. Also the session's Roster."""

    def __init__(self, paths: TerminalPaths, policy_name: str):
        from kiosk.sync.config import ConfigCache

        self.paths, self.policy_name = paths, policy_name
        self.cache = ConfigCache(paths.sync_dir)
        self.policy: Policy
        self.roster: RosterTable | None = None
        self.returning: tuple[bool, RosterTable] = (False, RosterTable())  # (county provided it, its candidates)
        self.passwords = PasswordBook(None)
        self.reload()

    def reload(self) -> None:
        """Reads the saved copy again (the sync worker calls this after pulling a new one)."""
        policy = get_policy(self.policy_name, self.paths.pulled_policies)
        pulled = self.cache.last_good()
        roster = RosterTable({r.id_number: RosterEntry(r.school_code, r.student_number) for r in pulled.roster}) \
            if pulled else None
        returning = RosterTable({r.id_number: RosterEntry(r.school_code, r.student_number)
                                 for r in pulled.return_candidates}) if pulled else RosterTable()
        passwords = PasswordBook(pulled.password_key, pulled.password_taken) if pulled else PasswordBook(None)
        # each swapped whole: readers on other threads see old or new
        self.policy, self.roster, self.passwords = policy, roster, passwords
        self.returning = (bool(pulled and pulled.return_list), returning)
        log.info("pulled configuration loaded", extra={"fields": {"policy": policy.name, "year": policy.year,
                                                                  "roster": len(roster) if roster else 0}})

    def lookup(self, id_number: str) -> RosterEntry | None:
        roster = self.roster
        return roster.lookup(id_number) if roster is not None else None

    def return_candidate(self, id_number: str) -> tuple[bool, RosterEntry | None]:
        """A point's return-to-hukou list: (the county provided it, the student's entry or None)."""
        provided, candidates = self.returning
        return provided, candidates.lookup(id_number)

    @property
    def roster_size(self) -> int:
        return len(self.roster) if self.roster is not None else 0


@dataclass
class TerminalCore:
    config: TerminalConfig
    paths: TerminalPaths
    clock: Clock
    store: Store
    pulled: PulledConfig
    station: Terminal  # who this terminal is (from enrollment): eligibility's view
    worker: object | None = None  # kiosk.sync.SyncWorker, None when the terminal runs without central
    client: object | None = None  # httpx.Client of the worker
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def policy(self) -> Policy:
        return self.pulled.policy

    def saved(self, _record: Record | None = None) -> None:
        """The one place a write reaches sync: every session write (and the CLI's) calls this."""
        if self.worker is not None:
            self.worker.kick()

    def call_staff(self, reason: str) -> None:
        """呼叫工作人员 pressed (reason: what failed, no personal data) or "" when over: flagged in the heartbeat."""
        if self.worker is not None:
            self.worker.call_staff(reason)

    def sync_status(self):
        """The sync worker's SyncStatus (network reachable) with the backlog as the store has it now; None when the
        terminal runs without central."""
        if self.worker is None:
            return None
        return replace(self.worker.status(), queued=self.store.outbox_depth())

    def session(self, **kwargs):
        """A RegistrationSession on this terminal: the applied policy (refreshed at every card), the pulled roster,
        the injected clock, the configured idle timeout, writes kicking sync."""
        from kiosk.session import RegistrationSession

        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("idle_timeout", dt.timedelta(seconds=self.config.idle_timeout_seconds))
        kwargs.setdefault("on_saved", self.saved)
        kwargs.setdefault("policies", lambda: self.pulled.policy)
        kwargs.setdefault("face_matcher", _match_faces)
        kwargs.setdefault("passwords", lambda: self.pulled.passwords)
        return RegistrationSession(self.pulled.policy, self.station, self.store, self.pulled, **kwargs)

    def close(self) -> None:
        closers = [self.worker.stop if self.worker else None, self.client.close if self.client else None,
                   self.store.close, *self._closers]
        for closing in closers:
            if closing:
                try:
                    closing()
                except Exception:  # noqa: BLE001 - closing down: close the rest anyway
                    log.exception("closing failed")


def open_store(paths: TerminalPaths, clock: Clock = utcnow) -> Store:
    """The terminal's store with its device key, where TerminalPaths puts them (every entry point opens it here)."""
    return Store(paths.store, key_path=paths.device_key, clock=clock)


def check_enrollment(config: TerminalConfig, identity) -> None:
    """A production terminal runs only with the enrollment its config describes."""
    expected = {"terminal_id": config.terminal_id, "role": config.role, "school_code": config.school_code,
                "county_code": config.county_code}
    wrong = sorted(k for k, v in expected.items() if v and getattr(identity, k) != v)
    if wrong:
        raise KioskError("终端配置与中心注册信息不一致，请联系技术人员",
                         detail=f"config differs from enrollment in {wrong}")


def open_core(config: TerminalConfig, *, paths: TerminalPaths | None = None, identity=None, clock: Clock = utcnow,
              sync: bool = True, pull: bool = True, say: Say = print) -> TerminalCore:
    """The store, the pulled configuration (pulled now once when online), the sync worker (started) and the
    terminal's station, all on one clock. `identity` is the enrolled TerminalIdentity (None: loaded from the sync
    directory, checked against the config in production)."""
    from kiosk.sync.client import open_client
    from kiosk.sync.config import ConfigCache
    from kiosk.sync.identity import TerminalIdentity
    from kiosk.sync.worker import SyncWorker

    paths = (paths or config.paths).ensure()
    if identity is None:
        identity = TerminalIdentity.load(paths.sync_dir)
        if not config.demo:
            check_enrollment(config, identity)
    client = open_client(identity) if sync else None
    if client is not None and pull:
        try:
            ConfigCache(paths.sync_dir).pull(client)
        except Exception as exc:  # noqa: BLE001 - offline: the last good copy serves
            if config.demo:
                client.close()
                raise
            say(f"无法连接中心服务器，使用上次的配置（{type(exc).__name__}）")
    store = open_store(paths, clock)
    try:
        pulled = PulledConfig(paths, config.policy)
    except BaseException:
        store.close()
        if client is not None:
            client.close()
        raise
    station = Terminal(identity.terminal_id, identity.role, identity.school_code, identity.county_code)
    core = TerminalCore(config, paths, clock, store, pulled, station, client=client)
    if client is not None:
        core.worker = SyncWorker(store, client, paths.sync_dir, on_config=pulled.reload,
                                 retention=dt.timedelta(days=config.retention_days)).start()
    purged = store.purge_confirmed(dt.timedelta(days=config.retention_days))
    if purged:
        say(f"已清理 {purged} 条已确认的过期记录")
    return core
