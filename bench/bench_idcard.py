"""ID card reader: frame parser throughput, and a full find+select+read through the pty simulator vs wire time."""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench import Row

FRAMES = 1_000_000
BATCH = 20_000
PARSER_GOAL = 100_000  # frames/s; a reader produces ~10 frames/s, the parser must never be the bottleneck
CYCLES = 10
FIXTURE = Path(__file__).parents[1] / "tests" / "idcard" / "fixtures" / "resident.json"


def _random_frames(rng: random.Random, count: int) -> list[bytes]:
    """Answers shaped like real traffic: mostly short status answers, some ID/SAM answers, 1 in 10 a card read."""
    from drivers.idcard.frame import answer

    sizes = [0] * 6 + [4, 8, 16] + [1284]
    return [answer(rng.choice((0x90, 0x9F, 0x80, 0x41)), rng.randbytes(rng.choice(sizes))) for _ in range(count)]


def bench_parser() -> Row:
    from drivers.idcard.frame import FrameParser

    rng = random.Random(467)
    pool = _random_frames(rng, 4096)
    parsed, elapsed = 0, 0.0
    for _ in range(FRAMES // BATCH):
        stream = b"".join(rng.choices(pool, k=BATCH))
        parser = FrameParser()
        started = time.perf_counter()
        parsed += len(parser.feed(stream))
        elapsed += time.perf_counter() - started
    assert parsed == FRAMES, parsed
    return Row("idcard parser, 1M random answer frames", parsed / elapsed, "frames/s", PARSER_GOAL, "goal >=",
               f"{parsed} frames, {elapsed:.2f} s")


def bench_read_cycle() -> Row:
    from drivers.idcard.reader import FIND, READ, SELECT, SamReader, wire_time
    from drivers.idcard.simulator import SimCard, Simulator

    card = SimCard.load(FIXTURE)
    with tempfile.TemporaryDirectory() as tmp, Simulator(Path(tmp) / "tty", card, warmup=0) as sim:
        sim.place()
        reader = SamReader.open(str(sim.link))
        try:
            reader.read_card()  # warm up imports and the line
            started = time.perf_counter()
            for _ in range(CYCLES):
                assert reader.read_card() == card.identity
            elapsed = (time.perf_counter() - started) / CYCLES
        finally:
            reader.close()
    wire = sum(wire_time(10 + c.answer_size, 115200) for c in (FIND, SELECT, READ))  # requests are 10 bytes
    return Row("idcard find+select+read @115200 / wire time", elapsed / wire, "x wire", 1.3, "goal <=",
               f"{elapsed * 1000:.1f} ms per card vs {wire * 1000:.1f} ms on the wire")


def run() -> list[Row]:
    return [bench_parser(), bench_read_cycle()]
