"""Fixtures for the ID card reader tests: card JSON files and simulators on real pseudo-terminals."""
from __future__ import annotations

from pathlib import Path

import pytest

from drivers.idcard.reader import SamReader
from drivers.idcard.simulator import SimCard, Simulator

FIXTURES = Path(__file__).parent / "fixtures"
CARD_FILES = sorted(FIXTURES.glob("*.json"))
SLACK = 0.5  # extra seconds on every command budget: test machines are shared and busy


@pytest.fixture(params=CARD_FILES, ids=lambda p: p.stem)
def card_file(request) -> Path:
    return request.param


@pytest.fixture
def resident() -> SimCard:
    return SimCard.load(FIXTURES / "resident.json")


@pytest.fixture
def make_sim(tmp_path):
    """make_sim(card=None, **options) -> a started Simulator whose pty is linked at tmp_path/ttyIDCARD."""
    started: list[Simulator] = []

    def make(card: SimCard | None = None, *, placed: bool = True, **options) -> Simulator:
        options.setdefault("warmup", 0.0)
        sim = Simulator(tmp_path / f"ttyIDCARD{len(started)}", card, **options).start()
        if card and placed:
            sim.place()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim, resident) -> Simulator:
    return make_sim(resident)


@pytest.fixture
def reader(sim):
    reader = SamReader.open(str(sim.link), slack=SLACK)
    yield reader
    reader.close()
