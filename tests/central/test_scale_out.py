"""Scale-out (issue #10): two `kiosk-central serve` processes on one PostgreSQL (and one data folder, as hosts
behind a balancer share the key file and attachment store): a replay sent to the other process is refused, a
terminal's rate is limited across both, ingest stays exactly-once while one of them is SIGKILLed; and
`serve --workers 2` answers."""
from __future__ import annotations

import datetime as dt
import threading

import httpx
import pytest

from kiosk.store import Store
from kiosk.sync import SyncWorker, enroll, open_client
from kiosk.wire import API
from tests.support.central import Kiosk, cli, signed_headers, wait_until
from tests.support.postgres import new_pg_database
from tests.support.procs import children


@pytest.fixture
def pg_url(postgres):
    return new_pg_database(postgres)


def _pair(central_process, pg_url, tmp_path, *extra):
    data = tmp_path / "shared-data"
    return [central_process(pg_url, data, extra) for _ in range(2)]


def _enroll(process, pg_url, directory):
    code = cli("enroll-code", "--db", pg_url.replace("+psycopg", ""), "--data", str(process.data), "--role",
               "school", "--school", "4114030012", "--county", "411403").strip()
    return enroll(process.url, code, directory)


BEAT = b'{"app_version": "1", "outbox_depth": 0}'


def test_replay_to_the_other_process_is_refused(central_process, pg_url, tmp_path):
    a, b = _pair(central_process, pg_url, tmp_path)
    identity = _enroll(a, pg_url, tmp_path / "kiosk")
    headers = signed_headers(identity, "POST", f"{API}/heartbeat", BEAT)
    assert httpx.post(f"{a.url}{API}/heartbeat", content=BEAT, headers=headers).status_code == 200
    replay = httpx.post(f"{b.url}{API}/heartbeat", content=BEAT, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.text


def test_rate_is_limited_across_processes(central_process, pg_url, tmp_path):
    a, b = _pair(central_process, pg_url, tmp_path, "--rate", "0.5")  # burst 40 by default: spend it first
    identity = _enroll(a, pg_url, tmp_path / "kiosk")
    statuses = []
    for i in range(48):
        target = (a, b)[i % 2]
        headers = signed_headers(identity, "POST", f"{API}/heartbeat", BEAT)
        statuses.append(httpx.post(f"{target.url}{API}/heartbeat", content=BEAT, headers=headers).status_code)
    assert statuses.count(200) in range(40, 43) and statuses[-1] == 429  # one bucket for both processes


def test_exactly_once_while_one_process_is_killed(central_process, pg_url, tmp_path):
    from sqlalchemy import create_engine, text

    a, b = _pair(central_process, pg_url, tmp_path)
    identity = _enroll(a, pg_url, tmp_path / "kiosk" / "sync")
    store = Store(tmp_path / "kiosk" / "kiosk.db")
    kiosk = Kiosk(tmp_path / "kiosk", identity, store, None, None)
    ids = {str(kiosk.new_record().record_id) for _ in range(60)}
    options = dict(start_spread_s=0, backoff_base_s=0.02, backoff_cap_s=0.2, batch_size=5)
    with open_client(identity, timeout=5) as client:
        worker = SyncWorker(store, client, tmp_path / "kiosk" / "sync", **options)
        sender = threading.Thread(target=lambda: [worker.drain() for _ in range(200) if store.outbox_depth()])
        sender.start()
        wait_until(lambda: store.outbox_depth() <= 45)
        a.process.kill()  # SIGKILL mid-stream
        sender.join(60)
    with open_client(identity, timeout=5, server=b.url) as client:  # the balancer sends it to the other one
        worker = SyncWorker(store, client, tmp_path / "kiosk" / "sync", **options)
        for _ in range(100):
            worker._hold_until = 0  # the failures against the killed one asked it to wait: not tested here
            for item in store.outbox_due(dt.datetime.max.replace(tzinfo=dt.timezone.utc)):
                store.outbox_retry(item.seq, "", dt.datetime.now(dt.timezone.utc))
            worker.drain()
            if not store.outbox_depth():
                break
    engine = create_engine(pg_url)
    with engine.connect() as db:
        rows = db.execute(text("SELECT record_id, count(*) FROM records GROUP BY record_id")).all()
        versions = db.scalar(text("SELECT count(*) FROM record_versions"))
    engine.dispose()
    store.close()
    assert {r[0] for r in rows} == ids and all(r[1] == 1 for r in rows) and versions == 60


def test_serve_with_two_workers(central_process, pg_url, tmp_path):
    server = central_process(pg_url, tmp_path / "workers", ("--workers", "2"))
    identity = _enroll(server, pg_url, tmp_path / "kiosk")
    with open_client(identity) as client:
        assert all(client.get(f"{API}/config").status_code == 200 for _ in range(6))
    assert len(children(server.process.pid)) >= 2
