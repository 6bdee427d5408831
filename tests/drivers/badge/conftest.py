"""Fixtures for the operator badge tests."""
from __future__ import annotations

import pytest


# --- PC/SC: a private pcscd with vsmartcard's vpcd driver (drivers/badge/testing.py) ------------------------------


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory):
    """A running pcscd with only the vpcd reader (a drivers.badge.testing.Pcscd: .reader, .stop(), .kill(),
    .start()); one per machine, so this waits for other test runs that hold it. Tests that stop it start it again.
    """
    from drivers.badge.testing import PcscdUnavailable, shared

    try:
        with shared(tmp_path_factory.mktemp("pcscd")) as server:
            yield server
    except PcscdUnavailable as exc:
        pytest.skip(str(exc))
