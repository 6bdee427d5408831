"""The console's one way into record data and into the personal data it keeps itself.

record_data() is the only reader of a record row's JSON (sealed by central.records under the server data key, the
record id bound as context), record_payload() its writer, and seal()/unseal() the writer and reader of the
console's own personal data at rest (roster previews, correction before/after, audit before/after), sealed under
the same key. roster_key()/roster_entry() read central's sealed roster rows. keys_of(session) finds the key.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass

from kiosk.policy import load_policies


def keys_of(session):
    """The server data keys (central.records.DataKeys) the session factory carries."""
    return session.info["data_keys"]


def record_data(row, keys) -> dict:
    """The record's content (kiosk.record.Record as JSON) from a `records`, `record_versions` or `conflicts` row."""
    return json.loads(keys.open_json(row.payload, row.record_id))


def record_payload(record, keys) -> dict:
    """The stored columns of a record the console writes (a corrected version, a conflict kept as its own record):
    sealed payload and key id, the counterpart of record_data()."""
    return {"payload": keys.seal_json(record.model_dump_json(), str(record.record_id)), "key_id": keys.current}


def seal(value, keys, context: str) -> str:
    """The console's own personal data, sealed; context names the table (bound as associated data)."""
    return keys.seal_json(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), f"console:{context}")


def unseal(text: str, keys, context: str):
    if not text:
        return None
    return json.loads(text if text[:1] in "{[" else keys.open_json(text, f"console:{context}"))  # "{[": not sealed


def _sealed_columns():
    from .models import AuditEntry, CorrectionRequest, RosterImport

    return ((AuditEntry, ("before", "after"), "audit"), (CorrectionRequest, ("before", "after"), "corrections"),
            (RosterImport, ("rows",), "roster_imports"))


def reseal(central, batch: int = 500) -> int:
    """`kiosk-central rotate-key` for the console's own sealed columns (and any written before sealing): each
    value re-sealed under the current key, in batches. Returns how many rows changed."""
    from sqlalchemy import select

    keys, changed = central.data_keys, 0
    for model, columns, context in _sealed_columns():
        key = model.__mapper__.primary_key[0]
        last = None

        def work(session):
            nonlocal changed
            query = select(model).order_by(key).limit(batch)
            rows = session.scalars(query if last is None else query.where(key > last)).all()
            for row in rows:
                stale = [c for c in columns if getattr(row, c) and keys.key_of(getattr(row, c)) != keys.current]
                for c in stale:
                    setattr(row, c, seal(unseal(getattr(row, c), keys, context), keys, context))
                changed += bool(stale)
            return getattr(rows[-1], key.key) if rows else None

        while (last := central.write(work)) is not None:
            pass
    return changed


def roster_key(keys, student_number: str) -> str:
    """The roster's lookup column for a 学籍号 (as central.terminals.load_schools writes it)."""
    return keys.id_digest(student_number)[:40]


def roster_entry(keys, entry) -> dict:
    """student_number, id_number, name and school_code of a central roster row."""
    return {**json.loads(keys.open_json(entry.name, entry.student_number)), "school_code": entry.school_code}


@dataclass(frozen=True)
class Summary:
    """What list pages and statistics need of a record, derived once per version and state."""

    record_id: str
    version: int
    state: str
    category: str
    name: str
    gender: str
    id_number: str
    student_number: str
    school_code: str
    school_name: str
    claims: tuple[str, ...]
    policy: str


_cache: dict[str, tuple[tuple, Summary]] = {}
CACHE_LIMIT = 250_000  # summaries (~1 KB each) kept per process; past it the cache starts again
_cache_lock = threading.Lock()


def cached(row) -> Summary | None:
    """The summary of a row starting (record_id, version, content_hash, state), if derived before."""
    hit = _cache.get(row[0])
    return hit[1] if hit and hit[0] == (row[1], row[2], row[3]) else None


def summary(row, keys) -> Summary:
    """Cached per (record, version, content, state): statistics over a county read each payload once."""
    key = (row.version, row.content_hash, row.state)
    hit = _cache.get(row.record_id)
    if hit and hit[0] == key:
        return hit[1]
    data = record_data(row, keys)
    identity = data.get("identity", {})
    result = Summary(row.record_id, row.version, row.state, data.get("category", ""), identity.get("name", ""),
                     identity.get("gender", ""), identity.get("id_number", ""), data.get("student_number", ""),
                     data.get("school_code", ""), data.get("school_name", ""), tuple(data.get("claims", [])),
                     data.get("policy", ""))
    with _cache_lock:
        if len(_cache) >= CACHE_LIMIT:
            _cache.clear()
        _cache[row.record_id] = (key, result)
    return result


def category_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for policy in load_policies().values():
        for category in policy.categories:
            labels.setdefault(category.code, category.label)
    return labels


def claim_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for policy in load_policies().values():
        labels.update(policy.claims)
    return labels


def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of a stored time (SQLite returns naive UTC)."""
    from zoneinfo import ZoneInfo

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).date()
