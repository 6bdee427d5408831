"""Fixtures for the operator badge tests: the private pcscd with vsmartcard's vpcd driver (tests/support/pcscd.py)."""
from tests.support.pcscd import pcscd  # noqa: F401 - fixture
