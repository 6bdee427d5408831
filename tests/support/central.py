"""The central server for the central and sync tests: its app under a real uvicorn on loopback over SQLite and over
a private PostgreSQL (fixtures db_url, make_server, server), enrolled terminals with real stores and workers
(make_kiosk), signed requests, `kiosk-central serve` as its own process, real JPEGs and valid ID numbers.
tests/central and tests/sync import the fixtures into their conftest."""
from __future__ import annotations

import hashlib
import itertools
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from central.embedded import EmbeddedServer, free_port
from tests.support.postgres import new_pg_database
from tests.support.procs import tree_rss


class Server(EmbeddedServer):
    """central's app under a real uvicorn on 127.0.0.1, in a thread of this process, with test helpers."""

    def session(self):
        return self.central.sessions()

    def code(self, role="school", school="4114030012", county="411403") -> str:
        return self.enroll_code(role, school, county)

    def count(self, model, **where) -> int:
        from sqlalchemy import func, select

        with self.session() as s:
            query = select(func.count()).select_from(model)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return s.scalar(query)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    return new_pg_database(request.getfixturevalue("postgres"))


@pytest.fixture
def make_server(tmp_path, db_url):
    from central.settings import Settings

    servers = []

    def make(**overrides) -> Server:
        settings = Settings(data_dir=tmp_path / f"central{len(servers)}", db_url=db_url, **overrides)
        servers.append(Server(settings))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server) -> Server:
    return make_server()


@pytest.fixture
def make_kiosk(tmp_path):
    from kiosk.store import Store
    from kiosk.sync import SyncWorker, enroll, open_client

    made = []

    def make(server: Server, role: str = "school", school: str = "4114030012", url: str | None = None,
             timeout: float = 5.0, **worker_options) -> Kiosk:
        directory = tmp_path / f"kiosk{len(made)}"
        identity = enroll(server.url, server.code(role, school), directory / "sync", app_version="test")
        store = Store(directory / "kiosk.db")
        client = open_client(identity, timeout=timeout, server=url)
        options = dict(start_spread_s=0, idle_poll_s=0.5, backoff_base_s=0.02, backoff_cap_s=0.2, rng=random.Random(7))
        worker = SyncWorker(store, client, directory / "sync", app_version="test", **{**options, **worker_options})
        made.append(Kiosk(directory, identity, store, client, worker))
        return made[-1]

    yield make
    for kiosk in made:
        kiosk.worker.stop()
        kiosk.client.close()
        kiosk.store.close()


_id_counter = itertools.count(1)


_JPEGS: dict[tuple, bytes] = {}


def jpeg(seed: str, size: tuple[int, int] = (450, 600), dpi: int = 300) -> bytes:
    """A real JPEG of the policy's dimensions and density (photo 450x600, document 800x600 at 300 dpi), made
    unique per seed by its comment segment (the server checks headers, dimensions, density and size)."""
    import io

    from PIL import Image

    key = (size, dpi)
    if key not in _JPEGS:
        out = io.BytesIO()
        Image.new("RGB", size, (70, 120, 200)).save(out, "JPEG", quality=60, dpi=(dpi, dpi))
        _JPEGS[key] = out.getvalue()
    base = _JPEGS[key]
    comment = hashlib.sha256(seed.encode()).hexdigest().encode()
    return base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]


def valid_id(serial: int | None = None, prefix: str = "41140320090315") -> str:
    """A valid 18-character ID number (GB 11643 check digit) with the given 14-character prefix."""
    from stdnum.cn import ric

    body = f"{prefix}{serial if serial is not None else next(_id_counter) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


@dataclass
class Kiosk:
    """An enrolled terminal: its sync directory, store, signed client and (not started) worker."""

    dir: Path
    identity: object
    store: object
    client: object
    worker: object

    def new_record(self, state: str = "submitted", id_number: str | None = None, **changes):
        from kiosk.record import example_record

        photo, document = jpeg(f"p{uuid.uuid4()}"), jpeg(f"d{uuid.uuid4()}", (800, 600))
        base = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                              document_sha256=hashlib.sha256(document).hexdigest())
        identity = {**base.identity, "id_number": id_number or valid_id()}
        record = base.model_copy(update={"record_id": uuid.uuid4(), "identity": identity, **changes})
        self.store.save(record, photo=photo, document=document)
        for action in {"draft": [], "submitted": ["submit"], "printed": ["submit", "print"],
                       "signed": ["submit", "print", "sign"]}[state]:
            record = self.store.apply(record.record_id, action, "student")
        return record


def wait_until(condition, timeout: float = 60.0, step: float = 0.02) -> None:
    """Waits for an outcome (a bound against hangs, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(step)


def signed_headers(identity, method: str, path: str, body: bytes, timestamp: str | None = None,
                   nonce: str | None = None) -> dict:
    """The four signing headers for a request, with any timestamp string (tests send hostile ones)."""
    import secrets

    from kiosk.wire import H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, signing_message

    timestamp = timestamp if timestamp is not None else f"{time.time():.3f}"
    nonce = nonce or secrets.token_hex(16)
    signature = identity.key.sign(signing_message(method, path, timestamp, nonce, body)).hex()
    return {H_TERMINAL: identity.terminal_id, H_TIMESTAMP: timestamp, H_NONCE: nonce, H_SIGNATURE: signature,
            "Content-Type": "application/json"}


def signed_post(identity, url: str, path: str, body: bytes, **options):
    import httpx

    return httpx.post(f"{url}{path}", content=body, headers=signed_headers(identity, "POST", path, body, **options),
                      timeout=30)


class CentralProcess:
    """`kiosk-central serve` as its own process (RSS measured, SIGKILLed, several on one database)."""

    def __init__(self, data: Path, db_url: str = "", extra: tuple = ()):
        self.data, self.port = data, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db = ["--db", db_url.replace("+psycopg", "")] if db_url else []
        self.process = subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING", "serve",
                                         "--data", str(data), "--port", str(self.port), *db, *extra])
        import httpx

        def healthy():
            try:
                return httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return self.process.poll() is not None

        wait_until(healthy, timeout=60, step=0.1)
        assert self.process.poll() is None, "kiosk-central serve exited"

    def rss(self) -> int:
        """Resident set size in bytes (the process and its children: uvicorn workers)."""
        return tree_rss(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def cli(*argv: str) -> str:
    return subprocess.run([sys.executable, "-m", "central.cli", "--log-level", "WARNING", *argv], check=True,
                          capture_output=True, text=True, timeout=120).stdout
