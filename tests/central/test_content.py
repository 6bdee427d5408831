"""Field limits, ID check digit, JPEG attachments checked header first, state progress by the lifecycle order,
clock skew from the heartbeat (issue #10)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import struct
import time

import pytest
from PIL import Image

from central import models
from kiosk.policy import load_policies
from kiosk.record.limits import STRING_LIMITS
from kiosk.wire import API, PushItem, PushRequest, PushResponse, jpeg_problem
from tests.support.central import jpeg, signed_post, valid_id

POLICY = load_policies()["henan-2024"]


def _push(kiosk, record, photo=None, document=None, status=200):
    body = PushRequest(items=[PushItem(record=record, photo=photo, document=document)]).model_dump_json()
    response = kiosk.client.post(f"{API}/records", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text[:200]
    return PushResponse.model_validate_json(response.content).results[0] if status == 200 else None


def _files(kiosk, record):
    return kiosk.store.attachment(record.record_id, "photo"), kiosk.store.attachment(record.record_id, "document")


def test_field_limits(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    photo, document = _files(kiosk, record)
    too_long = {"home_address": "文" * 101, "school_name": "校" * (STRING_LIMITS["school_name"] + 1), "contact_phone": "1" * 21,
                "claims": ["x"] * 11, "identity": {**record.identity, "name": "名" * 81}}
    for field, value in too_long.items():
        result = _push(kiosk, record.model_copy(update={field: value}), photo, document)
        assert (result.outcome, result.code) == ("rejected", "field_too_long"), field
    nul = _push(kiosk, record.model_copy(update={"home_address": "a\x00b"}), photo, document)
    assert nul.code == "malformed"
    # a 64 MiB address never reaches the schema: the body cap stops it first
    huge = record.model_copy(update={"home_address": "x" * (64 << 20)})
    _push(kiosk, huge, status=413)
    assert server.count(models.Record) == 0
    assert _push(kiosk, record, photo, document).outcome == "created"


def test_id_number_check_digit(server, make_kiosk):
    kiosk = make_kiosk(server)
    good = valid_id(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    record = kiosk.new_record(id_number=bad)
    result = _push(kiosk, record, *_files(kiosk, record))
    assert (result.outcome, result.code) == ("rejected", "id_number_invalid")
    no_date = kiosk.new_record(id_number=valid_id(8, prefix="41140320091332"))  # month 13
    assert _push(kiosk, no_date, *_files(kiosk, no_date)).code == "id_number_invalid"
    retired = kiosk.new_record(id_number=valid_id(9, prefix="41149920090315"))  # a region code no table knows
    assert _push(kiosk, retired, *_files(kiosk, retired)).outcome == "created"


def _jpeg(size=(450, 600), dpi=(300, 300), quality=60, **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (70, 120, 200)).save(out, "JPEG", quality=quality, dpi=dpi, **options)
    return out.getvalue()


def _giant_header(side: int = 60000) -> bytes:
    """A JPEG whose frame header claims side x side pixels, with no image data behind it."""
    small = _jpeg()
    sof = small.index(b"\xff\xc0")
    return small[:sof + 5] + struct.pack(">HH", side, side) + small[sof + 9:]


BAD_PHOTOS = {
    "png": lambda: (lambda out: (Image.new("RGB", (450, 600)).save(out, "PNG"), out.getvalue())[1])(io.BytesIO()),
    "html": lambda: b"<html><script>alert(1)</script></html>",
    "elf": lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    "empty": lambda: b"",
    "wrong size": lambda: _jpeg((600, 450)),
    "low dpi": lambda: _jpeg(dpi=(96, 96)),
    "no density": lambda: _jpeg(dpi=(300, 300))[:6] + b"XXXX" + _jpeg()[10:],
    "too many bytes": lambda: _jpeg(quality=100, comment=b"x" * 40_000),
    "giant header": _giant_header,
}


@pytest.mark.parametrize("kind", list(BAD_PHOTOS))
def test_attachments_are_the_policys_jpegs(server, make_kiosk, kind):
    kiosk = make_kiosk(server)
    photo = BAD_PHOTOS[kind]()
    record = kiosk.new_record()
    _, document = _files(kiosk, record)
    record = record.model_copy(update={"photo_sha256": hashlib.sha256(photo).hexdigest()})
    result = _push(kiosk, record, photo, document)
    assert (result.outcome, result.code) == ("rejected", "attachment_invalid")
    assert server.count(models.Attachment) == 0


def test_header_check_reads_no_pixels():
    assert "5000x5000" in jpeg_problem(_giant_header(5000), POLICY.photo)  # answered from the header alone
    assert jpeg_problem(_giant_header(), POLICY.photo)  # a decompression bomb: refused, never decoded
    assert jpeg_problem(jpeg("ok"), POLICY.photo) == ""
    assert jpeg_problem(jpeg("doc", (800, 600)), POLICY.document) == ""


def test_progress_by_lifecycle_not_by_the_terminals_clock(server, make_kiosk):
    """Submitted while the terminal's clock ran 2 h fast, printed and signed after it was corrected."""
    kiosk = make_kiosk(server)
    record = kiosk.new_record("submitted")
    fast = record.model_copy(update={"updated_at": dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)})
    assert _push(kiosk, fast, *_files(kiosk, record)).outcome == "created"
    printed = kiosk.store.apply(record.record_id, "print", "student")
    assert printed.updated_at < fast.updated_at
    assert _push(kiosk, printed).outcome == "updated"
    signed = kiosk.store.apply(record.record_id, "sign", "operator:1")
    assert _push(kiosk, signed).outcome == "updated"
    assert _push(kiosk, printed).outcome == "already_have"  # a late older state changes nothing
    with server.session() as s:
        assert s.get(models.Record, str(record.record_id)).state == "signed"


def test_clock_skew_recorded_from_heartbeat(server, make_kiosk):
    kiosk = make_kiosk(server)
    body = json.dumps({"app_version": "1", "outbox_depth": 0}).encode()
    ahead = f"{time.time() + 120:.3f}"
    assert signed_post(kiosk.identity, server.url, f"{API}/heartbeat", body, timestamp=ahead).status_code == 200
    with server.session() as s:
        skew = s.get(models.Terminal, kiosk.identity.terminal_id).clock_skew_s
    assert 110 < skew < 130


def test_refused_correction_returns_to_signed(server, make_kiosk):
    """The lifecycle's one cycle (signed -> correction requested -> refused -> signed) moves forward too."""
    from kiosk.record import transition

    kiosk = make_kiosk(server)
    signed = kiosk.new_record("signed")
    assert _push(kiosk, signed, *_files(kiosk, signed)).outcome == "created"
    requested, _ = transition(signed, "request_correction", "student", reason="电话号码有误")
    assert _push(kiosk, requested).outcome == "updated"
    refused, _ = transition(requested, "reject_correction", "operator:2")
    assert _push(kiosk, refused).outcome == "updated"
    assert _push(kiosk, requested).outcome == "already_have"  # the older request arriving late
    with server.session() as s:
        assert s.get(models.Record, str(signed.record_id)).state == "signed"
