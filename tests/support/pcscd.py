"""A private pcscd with only vsmartcard's vpcd reader (drivers/badge/testing.py), for the badge driver, the
technician's read-badge and discover, and the app's badge login tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory):
    """A running pcscd (a drivers.badge.testing.Pcscd: .reader, .stop(), .kill(), .start()). There is one per
    machine, so this waits for other test runs that hold it and lets it go after the module. Tests that stop it
    start it again. Skipped where pcscd or vpcd is missing."""
    from drivers.badge.testing import PcscdUnavailable, shared

    try:
        with shared(tmp_path_factory.mktemp("pcscd")) as server:
            yield server
    except PcscdUnavailable as exc:
        pytest.skip(str(exc))
