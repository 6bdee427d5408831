"""Operator console at county scale: export of 30,000 signed records (peak memory, records/s) through
`kiosk-central export` as its own process, and console page render times with 30,000 candidates in scope.

BENCH_CONSOLE_RECORDS (default 30000) sets the count. The records are written straight into the tables (the
ingest path has its own bench); their JPEGs are valid for the policy (450x600 and 800x600 at 300 dpi), a few
dozen distinct ones shared, since the export's cost per file does not depend on which bytes it copies.
"""
from __future__ import annotations

import hashlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import Row

COUNTY, SCHOOLS, DISTINCT_JPEGS = "411403", 30, 40
PASSWORD = "Bench-console-2024"


def _jpeg(width: int, height: int, seed: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (seed * 5 % 255, 90, 200)).save(out, "JPEG", quality=60, dpi=(300, 300))
    return out.getvalue()


def _build(root: Path, count: int) -> None:
    from sqlalchemy import insert

    from central import terminals
    from central.app import Central
    from central.console import accounts
    from central.models import Attachment, Record, RosterEntry, Terminal, utcnow
    from central.settings import Settings
    from kiosk.record import RecordState, example_record

    central = Central(Settings(data_dir=root))
    schools = [{"code": f"41140300{n:02d}", "name": f"第{n}初级中学", "county_code": COUNTY} for n in range(SCHOOLS)]
    photos = [_jpeg(450, 600, n) for n in range(DISTINCT_JPEGS)]
    documents = [_jpeg(800, 600, n + 100) for n in range(DISTINCT_JPEGS)]
    blobs = [(hashlib.sha256(b).hexdigest(), b) for b in photos + documents]
    central.storage.put_many(blobs)
    base = example_record()
    now = utcnow()

    def setup(session):
        terminals.load_schools(session, schools)
        session.add(Terminal(terminal_id="T-411403-BENCH", public_key=os.urandom(32), role="school",
                             school_code=schools[0]["code"], county_code=COUNTY, peripherals={}))
        session.execute(insert(Attachment), [{"sha256": sha, "size": len(b), "stored_at": now} for sha, b in blobs])
        accounts.add_user(session, "county", "county", COUNTY, PASSWORD)

    central.write(setup)
    rows, roster = [], []
    for n in range(count):
        school = schools[n % SCHOOLS]
        number = f"4114032009{n:08d}"
        record = base.model_copy(update={
            "record_id": uuid.uuid4(), "state": RecordState.SIGNED, "school_code": school["code"],
            "school_name": school["name"], "student_number": f"G{number}",
            "identity": {**base.identity, "id_number": number},
            "photo_sha256": blobs[n % DISTINCT_JPEGS][0], "document_sha256": blobs[DISTINCT_JPEGS + n % DISTINCT_JPEGS][0]})
        rows.append({"record_id": str(record.record_id), "version": 1, "state": "signed",
                     "content_hash": record.content_hash(), "terminal_id": "T-411403-BENCH", "id_number": number,
                     "school_code": school["code"], "payload": record.model_dump_json(), "received_at": now,
                     "updated_at": now})
        roster.append({"student_number": f"G{number}", "id_number": number, "name": "王小明",
                       "school_code": school["code"]})
    for n in range(count // 10):  # a tenth more on the roster who have not started
        roster.append({"student_number": f"R{n:08d}", "id_number": f"4114032010{n:08d}", "name": "李华",
                       "school_code": schools[n % SCHOOLS]["code"]})

    def fill(session):
        for start in range(0, len(rows), 2000):
            session.execute(insert(Record), rows[start:start + 2000])
        for start in range(0, len(roster), 2000):
            session.execute(insert(RosterEntry), roster[start:start + 2000])

    central.write(fill)
    central.engine.dispose()


def _export(root: Path, scope: str, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS MB) of `kiosk-central export` in its own process."""
    # VmHWM, not ru_maxrss: after fork and exec the latter still counts this (large) parent's pages
    code = ("import re, sys; from central.cli import main; rc = main(sys.argv[1:]); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(rc)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "--log-level", "WARNING", "export", "--data", str(root),
                           "--scope", scope, "-o", str(out)], capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"export failed: {done.stderr[-2000:]}")
    return elapsed, int(done.stdout.strip().splitlines()[-1]) / 1024


def _pages(root: Path, repeats: int = 15) -> dict[str, tuple[float, float]]:
    """(cold first request ms, warm p95 ms) per page, over a real uvicorn on loopback."""
    import httpx

    from central.embedded import EmbeddedServer
    from central.settings import Settings

    server = EmbeddedServer(Settings(data_dir=root))
    results = {}
    try:
        with httpx.Client(base_url=server.url + "/console", timeout=120) as client:
            client.post("/login", data={"username": "county", "password": PASSWORD})
            for path in ("/", "/students", "/students?page=300", "/pending", "/reviews", "/fleet"):
                times = []
                for _ in range(repeats + 1):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                results[path] = (times[0], statistics.quantiles(times[1:], n=20)[-1])
        from central.console import progress
        from central.console.scope import Scope

        recounts = []
        with server.central.sessions() as session:
            for _ in range(6):
                start = time.perf_counter()
                progress.overview(session, Scope("county", COUNTY))
                recounts.append((time.perf_counter() - start) * 1000)
        results["recount"] = (recounts[0], max(recounts[1:]))
    finally:
        server.stop()
    return results


def run() -> list[Row]:
    from central.console import progress

    count = int(os.environ.get("BENCH_CONSOLE_RECORDS", "30000"))
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        root = Path(tmp) / "central"
        start = time.perf_counter()
        _build(root, count)
        built = time.perf_counter() - start
        first, peak = _export(root, f"county:{COUNTY}", Path(tmp) / "county.zip")
        again, peak_again = _export(root, f"county:{COUNTY}", Path(tmp) / "county2.zip")
        size_mb = (Path(tmp) / "county.zip").stat().st_size / 1e6
        _, small_peak = _export(root, "school:4114030000", Path(tmp) / "school.zip")
        pages = _pages(root)
    note = f"measured under contention; {count} records built in {built:.0f} s"
    rows = [
        Row(f"console export of {count} signed records, first run (checks every JPEG)", count / first, "rec/s",
            500, "goal >=", f"{first:.1f} s, ZIP {size_mb:.0f} MB; {note}"),
        Row(f"console export of {count} signed records, again (checks cached by hash)", count / again, "rec/s",
            500, "goal >=", f"{again:.1f} s"),
        Row(f"console export peak memory, {count} records", max(peak, peak_again), "MB", 300, "goal <=",
            "peak RSS (VmHWM) of the kiosk-central export process"),
        Row(f"console export peak memory, {count} vs {count // SCHOOLS} records (one school)",
            max(peak, peak_again), "MB", small_peak, "baseline",
            "the JPEGs stream through; what grows is the ZIP's central directory (~2 KB per record)"),
    ]
    recount = pages.pop("recount")[1]
    rows.append(Row(f"console statistics recount, {count} candidates in scope (slowest of 5)", recount, "ms", 1000,
                    "goal <=", f"the dashboard recounts at most every {progress.FRESH_S:.0f} s per scope"))
    for path, (cold, p95) in pages.items():
        note = f"first request {cold:.0f} ms (derives each record's summary once)"
        if path == "/":
            note = (f"figures reused for {progress.FRESH_S:.0f} s per scope; a recount (first request) "
                    f"{cold:.0f} ms")
        rows.append(Row(f"console page {path} p95, {count} candidates in scope", p95, "ms", 500, "goal <=", note))
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row.name}: {row.value:.4g} {row.unit} (ref {row.reference:.4g}, ratio {row.ratio:.3f}) {row.note}")
