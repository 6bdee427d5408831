"""The operator's sign-off scan: the printed form's QR code read from the document camera, today's decoder
(kiosk.qr, zxing-cpp) against the OpenCV one it replaced, on forms whose payloads are as long as an Ed25519
signature makes them (64 bytes, 86 base64url characters; 225 characters in all).

Each form has its own seeded record id, print time and signature bytes, so every code is different and the run is
repeatable. "camera" is the simulator's path exactly (drivers/scanner/simulated.py: the page at 200 dpi); "desk" is a
harsher picture of the same page (tilted 2-3 degrees in perspective, blurred, JPEG quality 70) to show the margin.
"""
from __future__ import annotations

import datetime as dt
import random
import time
import uuid

from bench import Row

FORMS = 24
SIGNATURE_BYTES = 64  # Ed25519


class SeededSigner:
    """Random-looking signatures of Ed25519's length from a seed: the payload's length and entropy, repeatable."""
    algorithm = "ed25519"

    def __init__(self, seed: int):
        self._rng = random.Random(seed)

    def sign(self, data: bytes) -> bytes:
        return self._rng.randbytes(SIGNATURE_BYTES)

    def verify(self, data: bytes, signature: bytes) -> bool:
        return len(signature) == SIGNATURE_BYTES


def seeded_form(seed: int):
    """The example record's form (the real renderer) with a seeded record id, print time and signature."""
    from kiosk.form import render_form
    from kiosk.record import example_record

    rng = random.Random(seed)
    printed_at = dt.datetime(2024, 3, 5, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(90 * 86400))
    saved_at = printed_at - dt.timedelta(minutes=10)  # the content hash covers the record's times
    record = example_record(dt.date(2024, 3, 5)).model_copy(update={
        "record_id": uuid.UUID(int=rng.getrandbits(128)), "created_at": saved_at, "updated_at": saved_at})
    return render_form(record, SeededSigner(seed), printed_at=printed_at)


def camera_image(pdf: bytes):
    """What the operator's document camera returns for a laid form (the simulator's own path)."""
    from drivers.scanner.simulated import SimulatedDocumentCamera

    camera = SimulatedDocumentCamera()
    camera.lay_form(pdf)
    return camera.scan()


def desk_image(page, seed: int):
    """The page tilted in perspective on the desk, blurred and JPEG-compressed (quality 70)."""
    import cv2
    import numpy as np

    from drivers.scanner.simulated import place_on_desk

    h, w = page.shape[:2]
    corners = [(90, 60), (w + 40, 110), (w + 10, h + 110), (60, h + 70)]
    photo = cv2.GaussianBlur(place_on_desk(page, corners, (w + 140, h + 180), seed), (0, 0), 1.2)
    _ok, jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def opencv_read(image) -> str:
    """The decoder read_qr used before zxing-cpp (OpenCV's QRCodeDetector over ten rescalings), kept here only as
    the baseline; "" when nothing decodes."""
    import cv2

    detector = cv2.QRCodeDetector()
    for scale in (1.0, 0.5, 0.75, 0.6, 0.9, 1.25, 0.4, 0.8, 0.7, 1.5):
        scaled = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        text, _points, _ = detector.detectAndDecode(scaled)
        if text:
            return text
    return ""


def zxing_read(image) -> str:
    from kiosk.errors import KioskError
    from kiosk.qr import read_qr

    try:
        return read_qr(image)
    except KioskError:
        return ""


def _score(decode, cases) -> tuple[float, float]:
    """Share of the cases decoded to their payload, and the mean seconds per decode."""
    hits, started = 0, time.perf_counter()
    for image, text in cases:
        hits += decode(image) == text
    return hits / len(cases), (time.perf_counter() - started) / len(cases)


def run() -> list[Row]:
    camera, desk = [], []
    for seed in range(FORMS):
        form = seeded_form(seed)
        page = camera_image(form.pdf)
        camera.append((page, form.payload.text()))
        desk.append((desk_image(page, seed), form.payload.text()))
    rows = []
    length = len(camera[0][1])
    for name, cases in (("camera", camera), ("desk", desk)):
        old_rate, old_s = _score(opencv_read, cases)
        new_rate, new_s = _score(zxing_read, cases)
        note = f"{FORMS} seeded forms, {length}-character payloads; measured under contention"
        rows += [Row(f"form QR decode rate, {name}: zxing-cpp vs OpenCV", new_rate * 100, "%", old_rate * 100,
                     "baseline", note),
                 Row(f"form QR time per decode, {name}: zxing-cpp vs OpenCV", new_s * 1000, "ms", old_s * 1000,
                     "baseline", f"OpenCV {old_rate:.0%} decoded, zxing-cpp {new_rate:.0%}")]
    return rows
