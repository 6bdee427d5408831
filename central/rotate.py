"""`kiosk-central rotate-key`: a new current data key, then every sealed row and attachment re-sealed under it.

Batches of 200 rows, each its own transaction: safe to interrupt and run again (only rows not under the current
key are touched). Rows written before sealing existed are converted on the way: plain payloads sealed, plain ID
numbers replaced by their HMAC, plain roster rows re-keyed. Old keys stay in the key file (backups made under
them need them) until an operator removes them.
"""
from __future__ import annotations

import json

from sqlalchemy import select, update

from .models import Attachment, Conflict, Record, RecordVersion, ReturnCandidate, RosterEntry, SchoolKey
from .records import DataKeys

BATCH = 200


def rotate(central) -> dict[str, int]:
    """Returns how many of each were re-sealed."""
    keys: DataKeys = central.data_keys
    keys.rotate()
    counts = {model.__tablename__: _reseal_rows(central, keys, model.__table__)
              for model in (Record, RecordVersion, Conflict)}
    counts["roster"] = central.write(lambda session: _reseal_roster(session, keys))
    counts["return_candidates"] = central.write(lambda session: _reseal_column(
        session, keys, ReturnCandidate, "entry", lambda r: f"return:{r.county_code}:{r.id_number}"))
    counts["school_keys"] = central.write(lambda session: _reseal_column(
        session, keys, SchoolKey, "secret", lambda r: f"school-key:{r.school_code}"))
    with central.sessions() as session:
        shas = session.scalars(select(Attachment.sha256)).all()
    counts["attachments"] = sum(central.storage.reseal(sha) for sha in shas)
    from .console.records import reseal as reseal_console

    counts["console"] = reseal_console(central)
    return counts


def _reseal_rows(central, keys: DataKeys, table) -> int:
    def batch(session) -> int:
        rows = session.execute(select(table).where(table.c.key_id != keys.current).limit(BATCH)).all()
        for row in rows:
            values = {"payload": keys.seal_json(keys.open_json(row.payload, row.record_id), row.record_id),
                      "key_id": keys.current}
            if table.name == "records" and len(row.id_number) != 64:  # a plain ID number from before sealing
                values["id_number"] = keys.id_digest(row.id_number)
            session.execute(update(table).where(*[c == getattr(row, c.name) for c in table.primary_key.columns])
                            .values(**values))
        return len(rows)

    done = 0
    while n := central.write(batch):
        done += n
    return done


def _reseal_roster(session, keys: DataKeys) -> int:
    rows = session.scalars(select(RosterEntry)).all()
    for r in rows:
        if DataKeys.key_of(r.name) in keys.keys:
            r.name = keys.seal_json(keys.open_json(r.name, r.student_number), r.student_number)
            continue
        # a plain row from before sealing: keyed by HMACs, the entry sealed (as terminals.load_schools does)
        entry = {"student_number": r.student_number, "id_number": r.id_number, "name": r.name}
        key = keys.id_digest(r.student_number)[:40]
        session.delete(r)
        session.flush()
        session.add(RosterEntry(student_number=key, id_number=keys.id_digest(r.id_number), school_code=r.school_code,
                                name=keys.seal_json(json.dumps(entry, ensure_ascii=False), key)))
    return len(rows)


def _reseal_column(session, keys: DataKeys, model, column: str, context) -> int:
    """A table's one sealed column (its context from the row), the rows not under the current key."""
    rows = [r for r in session.scalars(select(model)) if DataKeys.key_of(getattr(r, column)) != keys.current]
    for r in rows:
        setattr(r, column, keys.seal_json(keys.open_json(getattr(r, column), context(r)), context(r)))
        if hasattr(r, "key_id"):
            r.key_id = keys.current
    return len(rows)
