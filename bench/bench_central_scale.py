"""Central server under load (issue #10): push p99 at 16 and 64 concurrent terminals (queueing-delay admission),
ingest with 1 and 2 worker processes on PostgreSQL, and the cost of sealing one record (JSON + two JPEGs).

PostgreSQL: Debian's postgresql 15 started here on a private directory (as the tests do). Measured on a shared
machine, so the figures are indicative. BENCH_CENTRAL_SECONDS (default 6) sets how long each p99 run lasts.
"""
from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench import Row
from bench.bench_central import CentralProcess, _record, ingest_rate
from central.embedded import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def private_postgres():
    """A throwaway PostgreSQL cluster; yields a database URL."""
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    port = free_port()

    def as_postgres(cmd):
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", cmd], check=True, capture_output=True, timeout=60)

    as_postgres(f"{PG_BIN}/initdb -D {root}/data -A trust -U postgres")
    as_postgres(f"{PG_BIN}/pg_ctl -D {root}/data -o '-k {root} -p {port} -c listen_addresses=127.0.0.1 "
                f"-c max_connections=300' -l {root}/log -w start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(f"{PG_BIN}/pg_ctl -D {root}/data -m fast stop")
        shutil.rmtree(root, ignore_errors=True)


def push_p99(root: Path, terminals: int, seconds: float) -> tuple[float, float, int]:
    """Each terminal pushes one record per request in a closed loop: (p99 ms of answered pushes, share of 503s,
    records created)."""
    from kiosk.sync import enroll, open_client
    from kiosk.wire import API, PushItem, PushRequest

    server = CentralProcess(root / f"p99-{terminals}", terminals, rate=100_000)
    try:
        identities = [enroll(server.url, code, root / f"p99-{terminals}-{i}") for i, code in enumerate(server.codes)]
        rng = random.Random(terminals)
        latencies, shed, created = [], [0], [0]
        lock = threading.Lock()
        ready = threading.Barrier(terminals + 1)
        deadline = [0.0]

        def terminal(identity, n0):
            n = n0
            with open_client(identity, timeout=30) as client:
                client.get(f"{API}/health")  # connected before the clock starts
                ready.wait()
                while time.monotonic() < deadline[0]:
                    record, photo, document = _record(rng, n)
                    n += terminals
                    body = PushRequest(items=[PushItem(record=record, photo=photo, document=document)])
                    started = time.perf_counter()
                    response = client.post(f"{API}/records", content=body.model_dump_json(),
                                           headers={"Content-Type": "application/json"})
                    took = time.perf_counter() - started
                    with lock:
                        if response.status_code == 503:
                            shed[0] += 1
                        else:
                            latencies.append(took)
                            created[0] += response.text.count('"created"')
                    if response.status_code == 503:
                        time.sleep(0.05)  # a terminal waits at least this long (Retry-After is longer)

        threads = [threading.Thread(target=terminal, args=(identity, 100_000 * (i + 1)))
                   for i, identity in enumerate(identities)]
        for t in threads:
            t.start()
        deadline[0] = time.monotonic() + seconds
        ready.wait()
        for t in threads:
            t.join()
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("inf")
        return p99, shed[0] / max(1, shed[0] + len(latencies)), created[0]
    finally:
        server.stop()


def sealing_cost(records: int = 300) -> tuple[float, float]:
    """(microseconds to seal one record's JSON and its two JPEGs, microseconds to open them again)."""
    from central.records import DataKeys

    with tempfile.TemporaryDirectory() as tmp:
        keys = DataKeys.load(Path(tmp) / "k.json")
        rng = random.Random(3)
        data = [(r.model_dump_json(), str(r.record_id), p, d) for r, p, d in (_record(rng, n) for n in range(records))]
        started = time.perf_counter()
        sealed = [(keys.seal_json(j, rid), keys.seal_bytes(p, "p"), keys.seal_bytes(d, "d"), rid)
                  for j, rid, p, d in data]
        seal = (time.perf_counter() - started) / records * 1e6
        started = time.perf_counter()
        for j, p, d, rid in sealed:
            keys.open_json(j, rid), keys.open_bytes(p, "p"), keys.open_bytes(d, "d")
        return seal, (time.perf_counter() - started) / records * 1e6


def run() -> list[Row]:
    seconds = float(os.environ.get("BENCH_CENTRAL_SECONDS", "6"))
    records = int(os.environ.get("BENCH_CENTRAL_RECORDS", "1500"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-central-scale-") as tmp:
        for terminals in (16, 64):
            p99, shed, created = push_p99(Path(tmp), terminals, seconds)
            rows.append(Row(f"central push p99, {terminals} terminals, 1 record per push (SQLite)", p99, "ms",
                            1000, "goal <=", f"{shed:.0%} shed with 503, {created} records in {seconds:.0f} s"))
        with private_postgres() as base:
            one = ingest_rate(Path(tmp), records, batch=25, db=_fresh_database(base))
            two = ingest_rate(Path(tmp), records, batch=25, db=_fresh_database(base), workers=2)
        rows.append(Row("central ingest on PostgreSQL, 1 worker process, 25 per request", one[0], "rec/s", 300,
                        "goal >=", f"server CPU {one[1]:.2f} ms/record"))
        rows.append(Row("central ingest on PostgreSQL, 2 worker processes (vs 1)", two[0], "rec/s", one[0],
                        "baseline", f"server CPU {two[1]:.2f} ms/record; 2 cores shared with the load generator"))
    seal, unseal = sealing_cost()
    rows.append(Row("central sealing per record (JSON + 2 JPEGs, AES-GCM)", seal, "us", 1000 / 300 * 1000 / 10,
                    "goal <=", f"opening {unseal:.0f} us; goal: a tenth of the 3.3 ms CPU budget per record"))
    return rows


def _fresh_database(base: str) -> str:
    import uuid

    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + f"/{name}"
