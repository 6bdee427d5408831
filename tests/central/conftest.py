"""Fixtures for the central server: a real uvicorn on loopback over SQLite and over a real PostgreSQL, enrolled
terminals with real stores (tests/support/central.py's fixtures, shared with tests/sync), `kiosk-central serve`
as its own process. Tests import helpers from tests/support, never from this file.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.central import CentralProcess, db_url, make_kiosk, make_server, server  # noqa: F401 - fixtures
from tests.support.postgres import postgres  # noqa: F401 - fixture
from tests.support.umask import keep_the_umask  # noqa: F401 - autouse fixture


@pytest.fixture
def central_process(tmp_path):
    made = []

    def make(db_url: str = "", data: Path | None = None, extra: tuple = ()) -> CentralProcess:
        made.append(CentralProcess(data or tmp_path / f"proc{len(made)}", db_url, extra))
        return made[-1]

    yield make
    for process in made:
        process.stop()
