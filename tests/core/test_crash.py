"""SIGKILL a writer at random moments: every reported commit survives whole, nothing is half-written."""
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import Store

TRIALS = 50
ORDER = ["draft", "submitted", "printed"]


def run_and_kill(db: Path, delay: float) -> dict[str, str]:
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("crash_writer.py")), str(db)],
                             stdout=subprocess.PIPE, text=True, bufsize=1)
    assert child.stdout.readline().strip() == "ready"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate()
    reported: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "committed":  # a torn last line is not a report
            reported[parts[1]] = parts[2]
    return reported


def test_sigkill_at_random_moments_loses_nothing(tmp_path):
    db = tmp_path / "crash.db"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    reported: dict[str, str] = {}
    for _ in range(TRIALS):
        reported.update(run_and_kill(db, rng.uniform(0.0, 0.15)))
        store = Store(db)
        stored = set(store.record_ids())
        assert set(reported) <= stored, "a reported commit was lost"
        for rid in stored:  # every stored record is whole, reported or not
            record = store.get(rid)
            assert hashlib.sha256(store.attachment(rid, "photo")).hexdigest() == record.photo_sha256
            assert hashlib.sha256(store.attachment(rid, "document")).hexdigest() == record.document_sha256
            if rid in reported:
                assert ORDER.index(record.state.value) >= ORDER.index(reported[rid])
        assert store.verify_audit_chain()
        assert store.outbox_depth() == len(store.outbox_due(limit=10**6))
        store.close()
    assert len(reported) >= TRIALS // 2  # the writer did real work between kills
