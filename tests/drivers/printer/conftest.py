"""Fixtures for the printer driver tests: the private cupsd and pdf_tool (cups_server.py, shared with tests/form),
and the example record whose form is printed."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cups_server import cupsd, pdf_tool  # noqa: E402,F401 - fixtures


@pytest.fixture
def record():
    from kiosk.record import example_record

    return example_record()
