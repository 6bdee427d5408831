"""The outbox worker through a fault proxy: after each fault the server holds exactly one copy of each record,
the kiosk outbox is empty, nothing is lost. Also: restarts, Retry-After, and the upload cap.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import socket
import time

import pytest

from central import models
from kiosk.store import Store
from kiosk.sync import SyncWorker
from kiosk.wire import API, H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP
from tests.support.central import jpeg, wait_until
from tests.support.faultproxy import FaultProxy

STATES = ["submitted", "printed", "signed"] * 3


def drain_until_empty(kiosk, timeout=60.0):
    def empty():
        kiosk.worker.drain()
        return kiosk.store.outbox_depth() == 0

    wait_until(empty, timeout, step=0.05)


def assert_server_holds_exactly(server, records):
    assert server.count(models.Record) == len(records)
    assert server.count(models.RecordVersion) == len(records)
    assert server.count(models.Attachment) == 2 * len(records)
    assert server.count(models.Conflict) == 0
    with server.session() as s:
        for record in records:
            held = s.get(models.Record, str(record.record_id))
            assert (held.version, held.state, held.content_hash) == (record.version, record.state.value,
                                                                     record.content_hash())


@pytest.fixture
def proxy(server):
    proxy = FaultProxy(server.port, slow_s=1.5)
    yield proxy
    proxy.close()


@pytest.mark.parametrize("fault", ["down", "slow", "error500", "lost", "duplicate"])
def test_fault_leaves_exactly_one_copy(fault, server, proxy, make_kiosk):
    kiosk = make_kiosk(server, url=proxy.url, batch_size=4, timeout=1.0)
    records = [kiosk.new_record(state) for state in STATES]
    proxy.inject(*[fault] * 3)
    drain_until_empty(kiosk)
    assert proxy.injected == [fault] * 3
    assert_server_holds_exactly(server, records)
    if fault == "duplicate":
        assert all(" 401 " in line for line in proxy.duplicate_replies)  # the second copy is a refused replay
    if fault in ("down", "error500"):
        assert kiosk.worker.status().last_error == ""  # cleared by the later success
    assert kiosk.worker.status().queued == 0


def test_worker_thread_survives_restart_and_never_blocks(server, proxy, make_kiosk, tmp_path):
    kiosk = make_kiosk(server, url=proxy.url, batch_size=3)
    records = [kiosk.new_record(state) for state in STATES]
    proxy.inject(*["down"] * 1000)  # the server is unreachable for now
    kiosk.worker.start()
    wait_until(lambda: kiosk.worker.status().last_error != "")
    kiosk.worker.kick()  # returns at once even while the server is down
    kiosk.worker.stop()
    assert kiosk.store.outbox_depth() == 18  # one entry per state change
    kiosk.store.close()
    proxy.faults.clear()
    store = Store(kiosk.dir / "kiosk.db")  # "reboot": everything needed is in the store
    worker = SyncWorker(store, kiosk.client, kiosk.dir / "sync", start_spread_s=0, idle_poll_s=0.2,
                        backoff_base_s=0.02, backoff_cap_s=0.2)
    kiosk.store, kiosk.worker = store, worker.start()
    wait_until(lambda: store.outbox_depth() == 0)
    assert_server_holds_exactly(server, records)
    wait_until(lambda: worker.status().queued == 0)
    assert (kiosk.dir / "sync" / "status.json").exists()


def test_rate_limit_answers_429_and_worker_honours_retry_after(make_server, make_kiosk):
    server = make_server(rate_per_terminal=0.2, burst_per_terminal=2)
    kiosk = make_kiosk(server, batch_size=1)
    for _ in range(3):
        kiosk.new_record()
    before = dt.datetime.now(dt.timezone.utc)
    assert kiosk.worker.drain() == 2  # the burst, then 429
    assert kiosk.store.outbox_depth() == 1
    assert "429" in kiosk.worker.status().last_error
    assert kiosk.store.outbox_next_attempt() >= before + dt.timedelta(seconds=5)  # Retry-After: 1/0.2 s
    response = kiosk.client.get(f"{API}/config")
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1


def test_upload_cap_answers_503_with_retry_after(make_server, make_kiosk):
    server = make_server(max_concurrent_uploads=1)
    kiosk = make_kiosk(server)
    kiosk.new_record()
    hog = socket.create_connection(("127.0.0.1", server.port))
    values = {H_TERMINAL: kiosk.identity.terminal_id, H_TIMESTAMP: f"{time.time():.3f}", H_NONCE: "1" * 16,
              H_SIGNATURE: "1" * 128}  # well-formed headers of a known terminal: admitted to read its body
    signed_headers = "".join(f"{name}: {value}\r\n" for name, value in values.items())
    hog.sendall(f"POST {API}/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{signed_headers}"
                "Content-Length: 100000\r\n\r\n{".encode())  # an upload still arriving (checked once complete)
    wait_until(lambda: server.central.uploads.in_flight == 1)
    assert kiosk.worker.drain() == 0
    assert "503" in kiosk.worker.status().last_error
    hog.close()
    wait_until(lambda: server.central.uploads.in_flight == 0)
    kiosk.worker._hold_until = 0  # skip the wait the server asked for (tested above)
    kiosk.store.outbox_retry(kiosk.store.outbox_due(dt.datetime.max.replace(tzinfo=dt.timezone.utc))[0].seq, "",
                             dt.datetime.now(dt.timezone.utc))
    assert kiosk.worker.drain() == 1


def test_superseded_version_whose_photo_was_retaken(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record("submitted")  # queued offline
    revised = kiosk.store.apply(record.record_id, "revise", "student")
    photo = jpeg("retaken")  # 450x600, a photo
    kiosk.store.save(revised.model_copy(update={"photo_sha256": hashlib.sha256(photo).hexdigest()}), photo=photo)
    resubmitted = kiosk.store.apply(record.record_id, "submit", "student")
    drain_until_empty(kiosk)
    with server.session() as s:
        held = s.get(models.Record, str(record.record_id))
        assert (held.version, held.content_hash) == (resubmitted.version, resubmitted.content_hash())
