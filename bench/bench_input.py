"""On-screen input: pinyin candidates per key (with the font-chain filter and rare-character ordering), stroke
lookup, handwriting recognition, the font chain's first use and a form with a rare name, against a frame budget."""
from __future__ import annotations

import statistics
import time

from bench import Row

FRAME_MS = 16.7  # one frame at 60 Hz: a key's candidates should be there by the next frame
WORDS = ("zhang", "wangjianguo", "shangqiu", "liuyan", "xi", "sheng", "wei", "yu", "suiyang", "lv")


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _per_key(engine, words) -> list[float]:
    """ms from a letter to the candidates of the page it gives (what the keyboard does per tap)."""
    times = []
    for word in words:
        engine.clear()
        for letter in word:
            started = time.perf_counter()
            engine.type(letter)
            engine.state
            times.append((time.perf_counter() - started) * 1000)
    engine.clear()
    return times


def run() -> list[Row]:
    from drivers.input.rime import PinyinEngine
    from drivers.input.zinnia import Recognizer
    from kiosk.fonts import chain

    started = time.perf_counter()
    chain().preload()  # every face's cmap, read in a child process as the keyboard does at start
    chain_ms = (time.perf_counter() - started) * 1000
    filtered = PinyinEngine(phrases=[])
    plain = PinyinEngine(drawable=None)
    _per_key(filtered, WORDS)  # warm Rime's tables
    with_filter = _per_key(filtered, WORDS * 5)
    without = _per_key(plain, WORDS * 5)
    strokes = _per_key(filtered, ["`hpznphhpn", "`szhhphps"] * 5)
    filtered.close(), plain.close()

    recognizer = Recognizer()
    line = [(20 + 26 * i, 150) for i in range(11)]
    column = [(150, 20 + 26 * i) for i in range(11)]
    recognition = []
    for _ in range(30):
        started = time.perf_counter()
        recognizer.classify([line, column], (300, 300))
        recognition.append((time.perf_counter() - started) * 1000)

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.form import Ed25519Signer, render_form
    from kiosk.record import example_record

    record = example_record()
    rare = record.model_copy(update={"identity": {**record.identity, "name": "刘䶮"}, "school_name": "商丘𠈌中学"})
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    started = time.perf_counter()
    render_form(rare, signer)
    rare_cold_ms = (time.perf_counter() - started) * 1000
    warm = []
    for _ in range(5):
        started = time.perf_counter()
        render_form(rare, signer)
        warm.append((time.perf_counter() - started) * 1000)
    note = "measured under contention (shared cores)"
    return [
        Row("pinyin key -> candidates p95 (font filter, rare order)", _p95(with_filter), "ms", FRAME_MS, "goal <=",
            f"{len(with_filter)} keys; {note}"),
        Row("pinyin key -> candidates p95, unfiltered", _p95(without), "ms", _p95(with_filter), "baseline",
            "ratio = the filter's share"),
        Row("stroke key -> candidates p95", _p95(strokes), "ms", FRAME_MS, "goal <=", "Rime stroke lookup"),
        Row("handwriting stroke -> candidates p95", _p95(recognition), "ms", FRAME_MS, "goal <=",
            "zinnia, tegaki zh_CN, 2 strokes"),
        Row("font chain preload (4 cmaps, child process)", chain_ms, "ms", 1000, "goal <=",
            "once per process, on a background thread"),
        Row("form render with rare name, warm median", statistics.median(warm), "ms", 150, "goal <=",
            f"first such form of a process {rare_cold_ms:.0f} ms (HanaMin A/B loaded); {note}"),
    ]
