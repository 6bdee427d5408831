"""Fixtures for the terminal's sync (kiosk/sync): the real central server on loopback over SQLite and PostgreSQL and
enrolled terminals with real stores and outbox workers (tests/support/central.py, shared with tests/central)."""
from tests.support.central import db_url, make_kiosk, make_server, server  # noqa: F401 - fixtures
from tests.support.postgres import postgres  # noqa: F401 - fixture
