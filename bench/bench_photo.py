"""Photo and document pipeline speeds and JPEG quality under the cap (see shared/reference/photo-pipeline.md)."""
from __future__ import annotations

import os
import time

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GLOG_minloglevel", "2")

from bench import Row

FRAME_BUDGET_MS = 33.0  # one frame of a 30 fps camera


def _ms(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def _step_down(image, max_bytes):
    from kiosk.photo import jpeg

    for q in range(95, 0, -5):
        data = jpeg.encode(image, q, 300)
        if len(data) <= max_bytes:
            return data
    return data


def _ssim(a_bgr, data):
    import cv2
    import numpy as np
    from skimage.metrics import structural_similarity

    b = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return structural_similarity(cv2.cvtColor(a_bgr, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b, cv2.COLOR_BGR2GRAY))


def run() -> list[Row]:
    import cv2
    from skimage import data as skdata
    from stdnum.cn import ric

    from drivers.camera.scripted import Pose, Subject
    from kiosk.document import make_document
    from kiosk.photo import FaceAnalyser, PhotoMaker, jpeg
    from kiosk.photo.final import cut
    from kiosk.policy import get_policy

    policy = get_policy("henan-2024")
    spec = policy.photo
    subject = Subject(cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR), close_mouth=True)
    rows = []
    with FaceAnalyser(spec, tracking=True) as live:
        for (w, h), goal in (((640, 480), 10.0), ((1920, 1080), 15.0)):
            frame = subject.render(Pose(head=0.55), (w, h))
            ms = _ms(lambda: live.analyse(frame), 40)
            rows.append(Row(f"photo frame analysis {w}x{h}", ms, "ms", FRAME_BUDGET_MS, "baseline",
                            f"goal <= {goal:g} ms: {'ok' if ms <= goal else 'MISS'}"))
    maker = PhotoMaker(spec)
    frame = subject.render(Pose(head=0.55), (1920, 1080))
    a = maker.analyse_still(frame)
    rows.append(Row("photo finalise (crop+checks+encode)", _ms(lambda: maker.make(frame, a), 10), "ms", 50.0,
                    "goal <="))
    image = cut(frame, a, spec)
    searched, _ = jpeg.encode_under(image, spec.max_bytes, spec.min_dpi)
    fixed, stepped = jpeg.encode(image, 75, spec.min_dpi), _step_down(image, spec.max_bytes)
    s_search = _ssim(image, searched)
    rows.append(Row("photo SSIM binary search vs fixed q75", s_search, "ssim", _ssim(image, fixed), "baseline",
                    f"q75 file {len(fixed)} B, searched {len(searched)} B (cap {spec.max_bytes})"))
    rows.append(Row("photo SSIM binary search vs step-down-5", s_search, "ssim", _ssim(image, stepped), "baseline",
                    f"step-down file {len(stepped)} B"))
    maker.close()

    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tests" / "photo" / "cards.py"
    mod_spec = importlib.util.spec_from_file_location("bench_cards", path)
    cards = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(cards)
    base = "41010520090307123"
    number = base + ric.calc_check_digit(base + "0")
    scan = cards.place_on_desk(cards.draw_card(number), cards.TILTED)
    rows.append(Row("document rectify+encode (no OCR)", _ms(lambda: make_document(scan, number, policy.document), 5),
                    "ms", 100.0, "goal <="))
    return rows
