"""The local store: one SQLite file in WAL mode holding records, their versions, attachments, the audit log and the
sync outbox. A record and its JPEGs are written in one transaction, so a crash never leaves half a record.
Personal data (the record's JSON and the JPEGs) is sealed with the device key; see crypto.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import Clock, utcnow
from kiosk.errors import KioskError, NotFound
from kiosk.record import AuditEntry, Record, RecordState, transition
from kiosk.record.model import LOCKED, PURGEABLE, QUEUED

from .crypto import DeviceKey
from .schema import MIGRATIONS

log = logging.getLogger(__name__)
GENESIS = "0" * 64


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    record_id: str
    version: int
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str


class Store:
    def __init__(self, path: str | Path, key: DeviceKey | None = None, *, key_path: str | Path | None = None,
                 clock: Clock = utcnow):
        self.path, self.clock = Path(path), clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.key = key or DeviceKey.load_or_create(key_path or self.path.with_name(self.path.name + ".key"))
        self._lock = threading.RLock()
        self.path.touch(mode=0o600)  # personal data: SQLite gives the WAL and SHM files the database's mode
        self.path.chmod(0o600)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed record survives power loss, not only a crash
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._tx():
            current = self._db.execute("PRAGMA user_version").fetchone()[0]
            if current > len(MIGRATIONS):
                raise KioskError("本地数据库版本高于本程序，请升级终端软件",
                                 detail=f"schema {current} > known {len(MIGRATIONS)}")
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _split_sql(script):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")
                log.info("store migrated", extra={"fields": {"schema": number}})

    @contextmanager
    def _tx(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, params: tuple = ()):
        """A read under the store's lock: the sync worker reads from its own thread, and on this shared
        connection an unlocked read could see another thread's transaction before it commits or rolls back."""
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _seal_record(self, record: Record) -> bytes:
        return self.key.seal(record.model_dump_json().encode(), f"record:{record.record_id}")

    def _open_record(self, record_id: str, sealed: bytes) -> Record:
        return Record.model_validate_json(self.key.open(sealed, f"record:{record_id}"))

    # -- records --------------------------------------------------------------------------------------------------
    def save(self, record: Record, *, photo: bytes | None = None, document: bytes | None = None,
             audit: AuditEntry | None = None) -> None:
        """Writes the record (and its new JPEGs, audit entry and outbox entry) atomically."""
        rid = str(record.record_id)
        for kind, data, expected in (("photo", photo, record.photo_sha256),
                                     ("document", document, record.document_sha256)):
            if data is not None and hashlib.sha256(data).hexdigest() != expected:
                raise KioskError("附件与记录不一致，请重新采集", detail=f"{kind} bytes do not match the record's hash")
        sealed = self._seal_record(record)
        with self._tx() as db:
            row = db.execute("SELECT version, state FROM records WHERE record_id=?", (rid,)).fetchone()
            if row and RecordState(row[1]) in LOCKED and audit is None:
                raise KioskError("考生信息已签字确认，不能修改", detail="write to a locked record without transition")
            db.execute(
                "INSERT INTO records (record_id, version, state, policy, category, id_lookup, payload, created_at,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(record_id) DO UPDATE SET version=excluded.version,"
                " state=excluded.state, policy=excluded.policy, category=excluded.category, payload=excluded.payload,"
                " updated_at=excluded.updated_at",
                (rid, record.version, record.state.value, record.policy, record.category,
                 self.key.lookup_hash(record.id_number), sealed, _ts(record.created_at), _ts(record.updated_at)))
            db.execute("INSERT OR REPLACE INTO record_versions VALUES (?,?,?,?,?)",
                       (rid, record.version, record.state.value, sealed, _ts(self.clock())))
            for kind, data in (("photo", photo), ("document", document)):
                if data is not None:
                    db.execute("INSERT OR REPLACE INTO attachments VALUES (?,?,?,?)",
                               (rid, kind, hashlib.sha256(data).hexdigest(),
                                self.key.seal(data, f"{kind}:{rid}")))
            if audit is not None:
                self._append_audit(db, audit)
            if record.state in QUEUED:
                now = _ts(self.clock())
                db.execute("INSERT OR IGNORE INTO outbox (record_id, version, state, enqueued_at, next_attempt_at)"
                           " VALUES (?,?,?,?,?)", (rid, record.version, record.state.value, now, now))
        log.info("record saved", extra={"fields": {"record_id": rid, "version": record.version,
                                                    "state": record.state.value}})

    def apply(self, record_id, action: str, actor: str, **details) -> Record:
        """The one path that changes a record's state: runs the lifecycle transition on the stored record (at the
        store's clock) and saves it with its audit entry, atomically."""
        with self._lock:
            new, entry = transition(self.get(record_id), action, actor, self.clock(), **details)
            self.save(new, audit=entry)
            return new

    def preview(self, record: Record, action: str, actor: str, **details) -> Record:
        """What `action` would make of `record` at the store's clock, nothing saved (a check before apply)."""
        return preview(record, action, actor, self.clock(), **details)

    def check(self, record_id, action: str) -> Record:
        """The stored record if `action` may run on it now; the lifecycle's Chinese refusal otherwise."""
        record = self.get(record_id)
        transition(record, action, "check", self.clock())
        return record

    def get(self, record_id) -> Record:
        rid = str(record_id)
        row = self._one("SELECT payload FROM records WHERE record_id=?", (rid,))
        if row is None:
            raise NotFound("找不到该考生记录", detail=f"no record {rid}")
        return self._open_record(rid, row[0])

    def get_version(self, record_id, version: int) -> Record:
        """The last saved state of the given version (what was printed for it, for instance)."""
        rid = str(record_id)
        row = self._one("SELECT payload FROM record_versions WHERE record_id=? AND version=?"
                        " ORDER BY saved_at DESC LIMIT 1", (rid, version))
        if row is None:
            raise NotFound("找不到该版本的考生记录", detail=f"no version {version} of {rid}")
        return self._open_record(rid, row[0])

    def attachment(self, record_id, kind: str) -> bytes:
        """The JPEG; NotFound when none was saved, SealBroken when the stored bytes fail their check."""
        rid = str(record_id)
        row = self._one("SELECT data FROM attachments WHERE record_id=? AND kind=?", (rid, kind))
        if row is None:
            raise NotFound("找不到附件", detail=f"no {kind} for {rid}")
        return self.key.open(row[0], f"{kind}:{rid}")

    def attachment_or_none(self, record_id, kind: str) -> bytes | None:
        """The JPEG or None when none was saved; a broken seal still raises SealBroken."""
        try:
            return self.attachment(record_id, kind)
        except NotFound:
            return None

    def record_ids(self, states: frozenset[RecordState] | RecordState | None = None) -> list[str]:
        if isinstance(states, RecordState):
            states = frozenset({states})
        values = sorted(s.value for s in states) if states else []
        where = f" WHERE state IN ({','.join('?' * len(values))})" if values else ""
        with self._lock:
            return [r[0] for r in self._db.execute(f"SELECT record_id FROM records{where} ORDER BY created_at",
                                                   values)]

    def find_by_id_number(self, id_number: str) -> list[Record]:
        with self._lock:
            rows = self._db.execute("SELECT record_id, payload FROM records WHERE id_lookup=?",
                                    (self.key.lookup_hash(id_number),)).fetchall()
        return [self._open_record(rid, payload) for rid, payload in rows]

    # -- audit log ------------------------------------------------------------------------------------------------
    def _append_audit(self, db: sqlite3.Connection, entry: AuditEntry) -> None:
        prev = db.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS
        fields = (_ts(entry.at), entry.record_id, entry.action, entry.actor, entry.from_state, entry.to_state,
                  entry.version, json.dumps(entry.details, ensure_ascii=False, sort_keys=True, default=str))
        digest = hashlib.sha256((prev_hash + json.dumps(fields, ensure_ascii=False)).encode()).hexdigest()
        db.execute("INSERT INTO audit_log (at, record_id, action, actor, from_state, to_state, version, details,"
                   " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", (*fields, prev_hash, digest))

    def append_audit(self, entry: AuditEntry) -> None:
        """An audit entry that is not a state change (a reprint's outcome, a failed print, an operator view)."""
        with self._tx() as db:
            self._append_audit(db, entry)

    def audit_entries(self, record_id=None) -> list[AuditEntry]:
        sql = "SELECT record_id, action, actor, from_state, to_state, version, at, details FROM audit_log"
        rows = self._db.execute(sql + (" WHERE record_id=?" if record_id else "") + " ORDER BY seq",
                                (str(record_id),) if record_id else ()).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], dt.datetime.fromisoformat(r[6]), json.loads(r[7]))
                for r in rows]

    def verify_audit_chain(self) -> bool:
        prev_hash = GENESIS
        for row in self._db.execute("SELECT at, record_id, action, actor, from_state, to_state, version, details,"
                                    " prev_hash, hash FROM audit_log ORDER BY seq"):
            fields, stored_prev, stored = tuple(row[:8]), row[8], row[9]
            digest = hashlib.sha256((prev_hash + json.dumps(list(fields), ensure_ascii=False)).encode()).hexdigest()
            if stored_prev != prev_hash or stored != digest:
                return False
            prev_hash = stored
        return True

    # -- outbox ---------------------------------------------------------------------------------------------------
    def outbox_due(self, now: dt.datetime | None = None, limit: int = 50) -> list[OutboxItem]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, record_id, version, state, attempts, next_attempt_at, last_error FROM outbox"
                " WHERE next_attempt_at<=? ORDER BY seq LIMIT ?", (_ts(now or self.clock()), limit)).fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]), r[6]) for r in rows]

    def outbox_depth(self) -> int:
        return self._one("SELECT COUNT(*) FROM outbox")[0]

    def outbox_next_attempt(self) -> dt.datetime | None:
        row = self._one("SELECT MIN(next_attempt_at) FROM outbox")
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def outbox_done(self, seq: int, record_id: str, version: int, now: dt.datetime | None = None) -> None:
        """The server acknowledged this entry: drop it and remember the confirmed version."""
        with self._tx() as db:
            db.execute("DELETE FROM outbox WHERE seq=?", (seq,))
            db.execute("UPDATE records SET confirmed_version=MAX(COALESCE(confirmed_version, 0), ?), confirmed_at=?"
                       " WHERE record_id=?", (version, _ts(now or self.clock()), record_id))

    def outbox_retry(self, seq: int, error: str, next_attempt_at: dt.datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE seq=?",
                       (error[:500], _ts(next_attempt_at), seq))

    # -- retention ------------------------------------------------------------------------------------------------
    def purge_confirmed(self, retention: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Deletes locked records whose latest version the server confirmed longer than `retention` ago, but not one
        whose corrected form is still to be reprinted (kiosk.corrections.awaiting_reprint): the candidate's next
        card read prints it from this record."""
        from kiosk.corrections import awaiting_reprint

        cutoff = _ts((now or self.clock()) - retention)
        states = sorted(s.value for s in PURGEABLE)
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                f"SELECT record_id FROM records WHERE state IN ({','.join('?' * len(states))})"
                " AND confirmed_version>=version AND confirmed_at<=?"
                " AND record_id NOT IN (SELECT record_id FROM outbox)", (*states, cutoff))]
            ids = [i for i in ids if not self._awaiting_reprint(i, awaiting_reprint)]
            db.executemany("DELETE FROM records WHERE record_id=?", [(i,) for i in ids])
        if ids:
            log.info("purged confirmed records", extra={"fields": {"count": len(ids)}})
        return len(ids)

    def _awaiting_reprint(self, record_id: str, awaiting_reprint) -> bool:
        try:
            return awaiting_reprint(self, self.get(record_id))
        except KioskError:  # a record that fails its seal check is kept for the staff to look at
            return True


def preview(record: Record, action: str, actor: str, now: dt.datetime | None = None, **details) -> Record:
    """The record the lifecycle's `action` makes of `record`, nothing saved: for checks that must know the result
    before Store.apply runs it (kiosk.corrections), also on central. Transitions are run here and in the lifecycle
    alone (tests/core/test_structure.py)."""
    return transition(record, action, actor, now, **details)[0]


def _split_sql(script: str) -> list[str]:
    """Splits a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements
