"""Fixtures for the printer driver tests: the private cupsd and pdf_tool (tests/support/cups.py, shared with the
form, provisioning and UI tests), and the example record whose form is printed."""
import pytest

from tests.support.cups import cupsd, pdf_tool  # noqa: F401 - fixtures


@pytest.fixture
def record():
    from kiosk.record import example_record

    return example_record()
