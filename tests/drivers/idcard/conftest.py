"""Fixtures for the ID card reader tests: card JSON files and simulators on real pseudo-terminals (the simulator
fixtures are tests/support/idcard.py's, shared with the technician's tool tests)."""
from __future__ import annotations

from pathlib import Path

import pytest

from drivers.idcard.reader import SamReader
from drivers.idcard.simulator import Simulator
from tests.support.idcard import CARD_FIXTURES, SLACK, make_sim, resident  # noqa: F401 - fixtures

CARD_FILES = sorted(CARD_FIXTURES.glob("*.json"))


@pytest.fixture(params=CARD_FILES, ids=lambda p: p.stem)
def card_file(request) -> Path:
    return request.param


@pytest.fixture
def sim(make_sim, resident) -> Simulator:
    return make_sim(resident)


@pytest.fixture
def reader(sim):
    reader = SamReader.open(str(sim.link), slack=SLACK)
    yield reader
    reader.close()
