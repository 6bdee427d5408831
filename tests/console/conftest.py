"""Fixtures for the operator console: the seeded server (consoleutil.Console), operators' HTTP clients, headless
Debian Chromium."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from consoleutil import Client, Console

from central.settings import Settings
from tests.support.postgres import postgres  # noqa: F401 - fixture, shared with the central tests
from tests.support.umask import keep_the_umask  # noqa: F401 - autouse fixture


@pytest.fixture
def pg_console(postgres, tmp_path):
    import os

    import psycopg

    name = f"console_{os.getpid()}_{tmp_path.name}".replace("-", "_").lower()[:60]
    with psycopg.connect(postgres.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    server = Console(Settings(data_dir=tmp_path / "central", db_url=f"{postgres}/{name}"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """argon2 at its smallest cost in tests (the default costs ~0.2 s a hash on this machine); same code path."""
    from argon2 import PasswordHasher

    from central.console import accounts

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def console(tmp_path):
    server = Console(Settings(data_dir=tmp_path / "central"))
    yield server
    server.stop()


@pytest.fixture
def client(console):
    made = []

    def make(username: str | None = None) -> Client:
        c = Client(console.url)
        made.append(c)
        if username:
            assert c.login(username).status_code == 303
        return c

    yield make
    for c in made:
        c.http.close()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium missing: apt-get install chromium")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield instance
        instance.close()
