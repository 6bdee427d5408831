"""kiosk-central's main sets umask 077 for the server it starts; tests that call it in-process give the rest of
the suite its umask back. A conftest imports `keep_the_umask` to have it for its directory (autouse)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def keep_the_umask():
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)
