"""Central server throughput: records ingested per second with attachments (many terminals pushing one record per
request, SQLite), and the time for one terminal to drain an offline backlog through its outbox worker.

The server runs as its own process (`kiosk-central serve`) on loopback; clients are threads of this process, so
on a small machine they compete with the server for cores: the server's own CPU per record is reported too.
BENCH_CENTRAL_RECORDS (default 1500) and BENCH_CENTRAL_BACKLOG (default 2000; the goal is stated for 10,000)
set the counts.
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench import Row
from central.embedded import free_port
from tests.support.procs import children

PHOTO_BYTES, DOCUMENT_BYTES = 28_000, 48_000  # JPEGs just under the policies' limits (30,000 / 50,000)
TERMINALS = 8


_BASE_JPEGS: dict = {}


def _blob(rng: random.Random, size: int, pixels: tuple[int, int]) -> bytes:
    """A real JPEG of the policy's dimensions at 300 dpi (the server checks its headers), padded to `size` bytes
    with random comment segments (the bytes an encoder would spend on a real photo)."""
    import io

    from PIL import Image

    if pixels not in _BASE_JPEGS:
        out = io.BytesIO()
        Image.new("RGB", pixels, (70, 120, 200)).save(out, "JPEG", quality=60, dpi=(300, 300))
        _BASE_JPEGS[pixels] = out.getvalue()
    base, segments = _BASE_JPEGS[pixels], b""
    while len(base) + len(segments) < size:
        n = min(60_000, size - len(base) - len(segments) - 4)
        segments += b"\xff\xfe" + (n + 2).to_bytes(2, "big") + rng.randbytes(n)
    return base[:2] + segments + base[2:]


def _id_number(n: int) -> str:
    """A distinct valid ID number for each n (birth date and sequence digits vary, the check digit fits)."""
    import datetime as dt

    from stdnum.cn import ric

    born = dt.date(2009, 1, 1) + dt.timedelta(days=n // 1000)
    body = f"411403{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _record(rng: random.Random, n: int):
    from kiosk.record import RecordState, example_record

    photo, document = _blob(rng, PHOTO_BYTES, (450, 600)), _blob(rng, DOCUMENT_BYTES, (800, 600))
    base = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                          document_sha256=hashlib.sha256(document).hexdigest())
    identity = {**base.identity, "id_number": _id_number(n)}
    return base.model_copy(update={"record_id": uuid.uuid4(), "identity": identity,
                                   "state": RecordState.SUBMITTED}), photo, document


class CentralProcess:
    def __init__(self, root: Path, terminals_: int = TERMINALS, db: str = "", **options):
        from central import terminals
        from central.app import Central
        from central.settings import Settings

        self.data = root / "central"
        central = Central(Settings(data_dir=self.data, db_url=db))
        self.codes = [central.write(lambda s: terminals.create_code(s, "school", "4114030012", "411403"))
                      for _ in range(terminals_)]
        central.engine.dispose()
        self.url = f"http://127.0.0.1:{free_port()}"
        args = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()] + (["--db", db] if db else [])
        self.process = subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING", "serve",
                                         "--data", str(self.data), "--port", self.url.rsplit(":", 1)[1], *args])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("central did not start")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process and its worker processes so far (Linux /proc)."""
        total = 0
        for pid in [self.process.pid, *children(self.process.pid)]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def ingest_rate(root: Path, count: int, batch: int, db: str = "", workers: int = 1) -> tuple[float, float, float]:
    """(records per second, server CPU milliseconds per record, the load generator's share of the cores)."""
    from kiosk.sync import enroll, open_client
    from kiosk.wire import API, PushItem, PushRequest

    server = CentralProcess(root / f"ingest{batch}-{workers}-{bool(db)}", db=db, rate=100_000, max_uploads=1000,
                            **({"workers": workers} if workers > 1 else {}))
    try:
        identities = [enroll(server.url, code, root / f"t{batch}-{i}") for i, code in enumerate(server.codes)]
        rng = random.Random(1)
        items = [PushItem(record=record, photo=photo, document=document)
                 for record, photo, document in (_record(rng, n) for n in range(count))]
        bodies = [PushRequest(items=items[i:i + batch]).model_dump_json().encode() for i in range(0, count, batch)]
        shares = [bodies[i::TERMINALS] for i in range(TERMINALS)]
        failures = []

        def terminal(identity, share):
            with open_client(identity) as client:
                for body in share:
                    while True:  # a 503 (load shed) is retried, as a terminal would after its Retry-After
                        response = client.post(f"{API}/records", content=body,
                                               headers={"Content-Type": "application/json"})
                        if response.status_code != 503:
                            break
                        time.sleep(0.1)
                    if response.status_code != 200 or response.text.count('"created"') != body.count(b'"record"'):
                        failures.append(response.status_code)

        threads = [threading.Thread(target=terminal, args=pair) for pair in zip(identities, shares)]
        cpu_before, started, own_before = server.cpu_seconds(), time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / count
        client_share = (time.process_time() - own_before) / elapsed / (os.cpu_count() or 1)
        if failures:
            raise RuntimeError(f"{len(failures)} pushes failed: {failures[:5]}")
        return count / elapsed, cpu_ms, client_share
    finally:
        server.stop()


def drain_time(root: Path, backlog: int) -> float:
    from kiosk.store import Store
    from kiosk.sync import SyncWorker, enroll, open_client

    server = CentralProcess(root / "drain")  # default limits: 20 requests/s per terminal
    try:
        identity = enroll(server.url, server.codes[0], root / "kiosk" / "sync")
        store = Store(root / "kiosk" / "kiosk.db")
        rng = random.Random(2)
        for n in range(backlog):
            record, photo, document = _record(rng, n)
            store.save(record, photo=photo, document=document)
        with open_client(identity) as client:
            worker = SyncWorker(store, client, root / "kiosk" / "sync", batch_size=50)
            started = time.perf_counter()
            while store.outbox_depth():
                worker.drain()
                hold = worker._hold_until - time.monotonic()
                if hold > 0:
                    time.sleep(hold)
            elapsed = time.perf_counter() - started
        store.close()
        return elapsed
    finally:
        server.stop()


def run() -> list[Row]:
    records = int(os.environ.get("BENCH_CENTRAL_RECORDS", "1500"))
    backlog = int(os.environ.get("BENCH_CENTRAL_BACKLOG", "2000"))
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        single, single_cpu, single_client = ingest_rate(Path(tmp), records, batch=1)
        batched, batched_cpu, batched_client = ingest_rate(Path(tmp), records, batch=25)
        drained = drain_time(Path(tmp), backlog)
    scaled = drained * 10_000 / backlog
    return [
        Row("central ingest, 1 record with 2 JPEGs per request (SQLite)", single, "rec/s", 300, "goal >=",
            f"{records} records, {TERMINALS} terminals"),
        Row("central ingest, 25 records per request as the worker sends (SQLite)", batched, "rec/s", 300, "goal >=",
            f"{records} records, {TERMINALS} terminals"),
        # one core sustains 300 records/s only below 1000/300 ms of server CPU per record
        Row("central server CPU per record, 1 per request", single_cpu, "ms", 1000 / 300, "goal <=",
            f"the load generator shares this machine's cores: it used {single_client:.0%} of them"),
        Row("central server CPU per record, 25 per request", batched_cpu, "ms", 1000 / 300, "goal <=",
            f"load generator {batched_client:.0%} of the cores"),
        Row("central drain of a 10,000-record backlog", scaled, "s", 60, "goal <=",
            "measured" if backlog == 10_000 else f"scaled from {backlog} records ({drained:.1f} s)"),
    ]
