"""Helpers of the console tests: central under a real uvicorn on loopback (SQLite on disk) with schools of two
counties, operators of every level, and records pushed through central's real ingest."""
from __future__ import annotations

import hashlib
import io
import itertools
import random
import re
import uuid
from pathlib import Path

import httpx

from central.embedded import EmbeddedServer
from central.settings import Settings

PASSWORD = "Kaoshi-2024-ok"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
SCHOOLS = [("4114030012", "商丘市第一初级中学", "411403"), ("4114030013", "睢阳区第二初级中学", "411403"),
           ("4114020001", "梁园区实验中学", "411402")]
USERS = [("prov", "province", "41"), ("city", "city", "4114"), ("county", "county", "411403"),
         ("county2", "county", "411402"), ("school1", "school", "4114030012"), ("school2", "school", "4114030013"),
         ("school3", "school", "4114020001")]
_serial = itertools.count(1)


def id_number(birth: str = "20090315", sex: str = "male", county: str = "411403") -> str:
    from stdnum.cn import ric

    sequence = f"{next(_serial) % 500:02d}{1 if sex == 'male' else 2}"
    body = county + birth + sequence.zfill(3)
    return body + ric.calc_check_digit(body + "0")


def jpeg(width: int, height: int, seed: int, dpi: int = 300, quality: int = 40) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (40 + seed % 200, 90, 200 - seed % 150))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()


class Console(EmbeddedServer):
    """The server with the console's seed data and helpers."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        from central import terminals
        from central.console import accounts

        def seed(session):
            terminals.load_schools(session, [{"code": c, "name": n, "county_code": k} for c, n, k in SCHOOLS])
            for username, role, scope in USERS:
                accounts.add_user(session, username, role, scope, PASSWORD, display_name=username)

        self.central.write(seed)
        self.console = self.app.state.console
        self.terminals: dict[str, str] = {}
        self.keys: dict[str, object] = {}  # terminal id -> its Ed25519 private key

    def terminal(self, school: str = "4114030012", county: str = "411403", role: str = "school", tag: str = "") -> str:
        """The terminal enrolled for (school, role); another tag, another terminal of the same school."""
        key = (school, role) if not tag else (school, role, tag)
        if key not in self.terminals:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

            from central import terminals
            from kiosk.sync.wire import EnrollRequest

            code = self.enroll_code(role, school, county)
            private = Ed25519PrivateKey.generate()
            public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            answer, _ = self.central.write(lambda s: terminals.enroll(s, EnrollRequest(code=code, public_key=public,
                                                                                       app_version="1.0.0")))
            self.terminals[key] = answer.terminal_id
            self.keys[answer.terminal_id] = private
        return self.terminals[key]

    def push(self, state: str = "signed", school: str = "4114030012", number: str | None = None,
             terminal: str | None = None, record_id=None, photo: bytes | None = None, unchecked: bool = False,
             **changes):
        """A record pushed through central's real ingest; returns (record, push result). unchecked: its JPEGs
        stored without central's push checks (a record taken in before a policy's photo spec changed)."""
        from central import ingest
        from central.models import Terminal
        from central.scope import TerminalScope
        from kiosk.record import RecordState, example_record
        from kiosk.sync.wire import PushItem

        seed = next(_serial)
        photo = photo or jpeg(450, 600, seed)
        document = jpeg(800, 600, seed + 1)
        base = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                              document_sha256=hashlib.sha256(document).hexdigest())
        number = number or id_number()
        name = dict(SCHOOLS_BY_CODE)[school]
        identity = {**base.identity, "id_number": number, "birth_date": f"{number[6:10]}-{number[10:12]}-"
                                                                          f"{number[12:14]}"}
        record = base.model_copy(update={"record_id": record_id or uuid.uuid4(), "identity": identity,
                                         "school_code": school, "school_name": name,
                                         "student_number": "G" + number, "state": RecordState(state), **changes})
        item = PushItem(record=record, photo=photo, document=document)
        terminal = terminal or self.terminal(school, SCHOOL_COUNTY[school])
        with self.central.sessions() as s:
            enrolled = s.get(Terminal, terminal)
            scope = TerminalScope(terminal, enrolled.role, enrolled.school_code, enrolled.county_code)
        problem, blobs = ingest.check(item, scope, self.central.policy_map, self.central.counties({school}))
        if unchecked:
            problem, blobs = None, [(hashlib.sha256(b).hexdigest(), b) for b in (photo, document)]
        assert not problem, problem
        self.central.storage.put_many(blobs)
        prepared = ingest.prepare(terminal, item, self.central.data_keys)
        result = self.central.write(lambda s: ingest.ingest(s, terminal, prepared))
        return record, result


SCHOOLS_BY_CODE = [(c, n) for c, n, _ in SCHOOLS]
SCHOOL_COUNTY = {c: k for c, _, k in SCHOOLS}



class Kiosk:
    """An enrolled terminal of school 4114030012: its data directory, store, signed client, worker (not started)."""

    def __init__(self, console, directory: Path):
        from kiosk.sync import enroll

        self.dir = directory
        self.identity = enroll(console.url, console.enroll_code("school", "4114030012", "411403"), directory / "sync",
                               app_version="test")
        self.open()

    def open(self):
        from kiosk.store import Store
        from kiosk.sync import SyncWorker, open_client

        self.store = Store(self.dir / "kiosk.db")
        self.client = open_client(self.identity, timeout=10)
        self.worker = SyncWorker(self.store, self.client, self.dir / "sync", app_version="test", start_spread_s=0,
                                 backoff_base_s=0.02, backoff_cap_s=0.2, rng=random.Random(3))

    def close(self):
        self.client.close()
        self.store.close()

    def signed_record(self, printer=None):
        """The example candidate's record, signed and pushed; printed on `printer` (the print service) if given."""
        from kiosk.form import PrintService, terminal_signer
        from kiosk.record import example_record

        photo, document = jpeg(450, 600, 11), jpeg(800, 600, 12)
        record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                                document_sha256=hashlib.sha256(document).hexdigest())
        self.store.save(record, photo=photo, document=document)
        self.store.apply(record.record_id, "submit", "student")
        if printer is None:
            self.store.apply(record.record_id, "print", "operator:7")
        else:
            self.printed = PrintService(self.store, printer, terminal_signer(self.store),
                                        terminal_id=self.identity.terminal_id).print_record(record.record_id)
        record = self.store.apply(record.record_id, "sign", "operator:7")
        self.worker.drain()
        assert self.store.outbox_depth() == 0
        return record

    def push(self, record):
        from kiosk.wire import API, PushItem, PushRequest, PushResponse

        body = PushRequest(items=[PushItem(record=record)]).model_dump_json().encode()
        response = self.client.post(f"{API}/records", content=body, headers={"Content-Type": "application/json"})
        return PushResponse.model_validate_json(response.content).results[0]


class Client:
    """An operator's HTTP session against the real server (cookies, CSRF token from the page)."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url + "/console", follow_redirects=False, timeout=30)
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = self.http.post("/login", data={"username": username, "password": password})
        if response.status_code == 303:
            self.refresh()
        return response

    def refresh(self) -> None:
        page = self.http.get("/")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.csrf = found.group(1) if found else ""

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)
