"""The ID card reader simulator on a real pseudo-terminal (drivers.idcard.simulator), for the driver tests and the
technician's tool tests, with the card fixtures it reads from."""
from __future__ import annotations

from pathlib import Path

import pytest

CARD_FIXTURES = Path(__file__).resolve().parents[1] / "drivers" / "idcard" / "fixtures"
RESIDENT = CARD_FIXTURES / "resident.json"
SLACK = 0.5  # extra seconds on every command budget: test machines are shared and busy


@pytest.fixture
def resident():
    from drivers.idcard.simulator import SimCard

    return SimCard.load(RESIDENT)


@pytest.fixture
def make_sim(tmp_path):
    """make_sim(card=None, *, placed=True, **options) -> a started Simulator (warm unless told otherwise) whose pty
    is linked at tmp_path/ttyIDCARD<n>, the card on it when given and placed; all stopped after the test."""
    from drivers.idcard.simulator import Simulator

    started = []

    def make(card=None, *, placed: bool = True, **options):
        options.setdefault("warmup", 0.0)
        sim = Simulator(tmp_path / f"ttyIDCARD{len(started)}", card, **options).start()
        if card and placed:
            sim.place()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
