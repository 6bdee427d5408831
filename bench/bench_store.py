"""Local store: saving a complete record (sealed JSON + 70 KB of JPEGs + outbox) against a plain SQLite insert of
the same bytes (WAL, synchronous=FULL, no sealing) in the same run. The ratio is the cost of our safety layers."""
import hashlib
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from bench import Row
from kiosk.record import RecordState, example_record
from kiosk.store import Store

N = 300


def _baseline(path: Path, payloads) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, payload BLOB, photo BLOB, document BLOB)")
    start = time.perf_counter()
    for rid, payload, photo, document in payloads:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?,?,?,?)", (rid, payload, photo, document))
        db.execute("COMMIT")
    return time.perf_counter() - start


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        for _ in range(N):
            photo, document = os.urandom(25_000), os.urandom(45_000)
            record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                                    document_sha256=hashlib.sha256(document).hexdigest())
            items.append((record.model_copy(update={"record_id": uuid.uuid4(), "state": RecordState.SUBMITTED}), photo, document))
        base = _baseline(Path(tmp) / "plain.db",
                         [(str(r.record_id), r.model_dump_json().encode(), p, d) for r, p, d in items])
        store = Store(Path(tmp) / "kiosk.db")
        start = time.perf_counter()
        for record, photo, document in items:
            store.save(record, photo=photo, document=document)
        ours = time.perf_counter() - start
        store.close()
    return [
        Row("store: save record + 70 KB JPEGs (ms/record)", ours / N * 1000, "ms", base / N * 1000, "baseline",
            "baseline = plain SQLite insert of the same bytes"),
    ]
