"""Fixtures for the form and printing tests: a store, a signer, a photo; the private cupsd and pdf_tool come from
tests/support/cups.py (shared with the printer driver tests)."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.form import Ed25519Signer
from kiosk.record import example_record, transition
from kiosk.store import Store
from tests.support.cups import cupsd, pdf_tool  # noqa: F401 - fixtures

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "form"


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (450, 600), (67, 142, 219))
    draw = ImageDraw.Draw(image)
    draw.ellipse((140, 110, 310, 330), fill=(236, 200, 170))
    draw.rectangle((90, 420, 360, 600), fill=(30, 30, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def record():
    return example_record()


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "kiosk.db")
    yield s
    s.close()


@pytest.fixture
def submitted(store, photo):
    """The example record with its photo, saved and submitted: ready to print."""
    record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest())
    store.save(record, photo=photo)
    new, entry = transition(record, "submit", "student")
    store.save(new, audit=entry)
    return new


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
