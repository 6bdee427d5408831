"""Fixtures for the technician's tool: a terminal (config + data dir), a real central server on loopback, the card
reader simulator on a pty, camera image files; the simulator, the private cupsd and pcscd are tests/support's."""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

from central.embedded import EmbeddedServer
from central.settings import Settings
from kiosk.config import TerminalConfig
from tests.support.cups import cupsd  # noqa: F401 - fixtures
from tests.support.idcard import make_sim, resident  # noqa: F401
from tests.support.pcscd import pcscd  # noqa: F401


class Terminal:
    """A terminal config file and data directory under tmp_path; update(**fields) rewrites the TOML."""

    def __init__(self, root: Path):
        self.config_path = root / "etc" / "kiosk.toml"
        self.config_path.parent.mkdir(parents=True)
        self.config = TerminalConfig(data_dir=root / "data", terminal_id="T-TEST", county_code="411403")
        self.update()

    def update(self, **fields) -> TerminalConfig:
        self.config = self.config.model_copy(update=fields)
        self.config_path.write_text(self.config.to_toml(), encoding="utf-8")
        return self.config

    @property
    def args(self) -> list[str]:
        return ["--config", str(self.config_path)]


@pytest.fixture
def terminal(tmp_path) -> Terminal:
    from kiosk.paths import TerminalPaths
    from kiosk.store import DeviceKey

    t = Terminal(tmp_path)
    paths = TerminalPaths.at(t.config.data_dir).ensure()
    DeviceKey.load_or_create(paths.device_key)
    return t


@pytest.fixture
def server(tmp_path):
    with EmbeddedServer(Settings(data_dir=tmp_path / "central")) as s:
        yield s


@pytest.fixture
def enrolled(terminal, server):
    """The terminal enrolled with the server (identity in its sync dir)."""
    from kiosk.paths import TerminalPaths
    from kiosk.sync.identity import enroll

    identity = enroll(server.url, server.enroll_code("school", "4114030012", "411403"),
                      TerminalPaths.at(terminal.config.data_dir).sync_dir)
    terminal.update(server_url=server.url, terminal_id=identity.terminal_id)
    return identity


@pytest.fixture
def reader_sim(make_sim, resident):
    """reader_sim(*, placed=True, **options) -> a started card reader simulator with the resident card."""
    return functools.partial(make_sim, resident)


@pytest.fixture
def images(tmp_path):
    """image(name, kind) -> path of a 1280x960 PNG: 'blue' backdrop with a head, 'grey' wall, 'dark' room."""
    import cv2
    import numpy as np

    def make(kind: str, size=(960, 1280)) -> str:
        colours = {"blue": (219, 142, 67), "grey": (150, 150, 150), "dark": (40, 20, 10)}
        image = np.full((*size, 3), colours[kind], np.uint8)
        h, w = size
        cv2.ellipse(image, (w // 2, h // 2), (w // 8, h // 5), 0, 0, 360, (170, 200, 236), -1)
        path = tmp_path / f"{kind}-{w}x{h}.png"
        cv2.imwrite(str(path), image)
        return str(path)

    return make


@pytest.fixture
def queue_record(terminal):
    """queue_record(state="submitted") -> a record saved in the terminal's store (queued for sync)."""
    import hashlib
    import io
    import uuid

    from kiosk.paths import TerminalPaths
    from kiosk.record import example_record
    from kiosk.store import Store

    from PIL import Image
    from stdnum.cn import ric

    serial = iter(range(1, 1000))

    def picture(size: tuple[int, int]) -> bytes:
        """A JPEG the server takes: the policy's dimensions at 300 dpi, unique by its colour."""
        out = io.BytesIO()
        Image.new("RGB", size, (70, 120, uuid.uuid4().bytes[0])).save(out, "JPEG", quality=60, dpi=(300, 300))
        return out.getvalue()

    def make(state: str = "submitted"):
        photo, document = picture((450, 600)), picture((800, 600))
        record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                                document_sha256=hashlib.sha256(document).hexdigest())
        body = f"41140320090315{next(serial):03d}"
        identity = {**record.identity.model_dump(), "id_number": body + ric.calc_check_digit(body + "0")}
        record = record.model_copy(update={"record_id": uuid.uuid4(), "identity": identity})
        store = Store(TerminalPaths.at(terminal.config.data_dir).store)
        try:
            store.save(record, photo=photo, document=document)
            for action in {"draft": [], "submitted": ["submit"]}[state]:
                record = store.apply(record.record_id, action, "student")
        finally:
            store.close()
        return record

    return make


@pytest.fixture
def drain(terminal):
    """drain() pushes the terminal's outbox once with its current identity; returns the depth left."""
    from kiosk.paths import TerminalPaths
    from kiosk.store import Store
    from kiosk.sync import SyncWorker, TerminalIdentity, open_client

    def push() -> int:
        paths = TerminalPaths.at(terminal.config.data_dir)
        store = Store(paths.store)
        try:
            with open_client(TerminalIdentity.load(paths.sync_dir)) as client:
                SyncWorker(store, client, paths.sync_dir).drain()
            return store.outbox_depth()
        finally:
            store.close()

    return push
