"""No input gets a 5xx (issue #10): the listed cases as regressions, then a fuzz over the terminal API with hostile
bytes. Error answers never echo the body and no log line carries one."""
from __future__ import annotations

import base64
import json
import logging

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from kiosk.wire import API, PushItem, PushRequest, PushResponse
from tests.support.central import signed_headers, signed_post

NAME = "王小明"


def _no_body_in_logs(caplog, *secrets: str) -> None:
    text = "\n".join(r.getMessage() + json.dumps(getattr(r, "fields", {}), ensure_ascii=False, default=str)
                     + (r.exc_text or "") for r in caplog.records)
    for secret in secrets:
        assert secret not in text


def test_enroll_with_non_utf8_body(server):
    body = b'{"code": "\xff\xfe\xfa", "public_key": "\xc3\x28"}'
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/json"}):
        response = httpx.post(f"{server.url}{API}/enroll", content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert "\\ufffd" not in response.text and "\xff" not in response.text


def test_invalid_utf8_inside_a_push_is_refused_and_never_logged(server, make_kiosk, caplog):
    kiosk = make_kiosk(server)
    record = kiosk.new_record()
    photo = kiosk.store.attachment(record.record_id, "photo")
    body = PushRequest(items=[PushItem(record=record, photo=photo)]).model_dump_json().encode()
    broken = body.replace(NAME.encode(), b"\xff\xfe" + NAME.encode()[:4])
    caplog.set_level(logging.DEBUG)
    response = signed_post(kiosk.identity, server.url, f"{API}/records", broken)
    assert response.status_code == 422
    b64 = base64.b64encode(photo).decode()[:40]
    assert NAME not in response.text and b64 not in response.text and record.id_number not in response.text
    _no_body_in_logs(caplog, NAME, b64, record.id_number, record.guardians[0].phone)


def test_naive_updated_at_is_rejected_alone(server, make_kiosk):
    kiosk = make_kiosk(server)
    good, naive = kiosk.new_record(), kiosk.new_record()
    items = [PushItem(record=r, photo=kiosk.store.attachment(r.record_id, "photo"),
                      document=kiosk.store.attachment(r.record_id, "document")) for r in (good, naive)]
    body = json.loads(PushRequest(items=items).model_dump_json())
    body["items"][1]["record"]["updated_at"] = "2026-06-01T08:00:00"  # no timezone
    response = signed_post(kiosk.identity, server.url, f"{API}/records", json.dumps(body).encode())
    assert response.status_code == 200
    outcomes = [(r.outcome, r.code) for r in PushResponse.model_validate_json(response.content).results]
    assert outcomes == [("created", ""), ("rejected", "naive_time")]  # the batch is not lost for one record


def test_non_finite_timestamps_are_refused(server, make_kiosk):
    kiosk = make_kiosk(server)
    body = b'{"app_version": "1", "outbox_depth": 0}'
    for stamp in ("nan", "NaN", "inf", "-inf", "1e400", "1e9", "-1", "0x10", "1.7e9", "+1700000000"):
        response = signed_post(kiosk.identity, server.url, f"{API}/heartbeat", body, timestamp=stamp)
        assert response.status_code == 401, stamp


def test_nan_request_does_not_replay_after_restart(make_server, make_kiosk):
    first = make_server()
    kiosk = make_kiosk(first)
    body = b'{"app_version": "1", "outbox_depth": 0}'
    headers = signed_headers(kiosk.identity, "POST", f"{API}/heartbeat", body, timestamp="nan")
    assert httpx.post(f"{first.url}{API}/heartbeat", content=body, headers=headers).status_code == 401
    first.stop()
    second = make_server()
    second.central.terminal_cache.clear()
    second.central.engine.dispose()
    # the same database: the terminal is known, the nan request still refused
    from central import models

    with second.session() as s:
        assert s.get(models.Terminal, kiosk.identity.terminal_id) is not None
    assert httpx.post(f"{second.url}{API}/heartbeat", content=body, headers=headers).status_code == 401


# -- fuzz -------------------------------------------------------------------------------------------------------
JSON_ATOMS = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0", b"null", b'"\\u0000"',
                              b'"\\ud800"', b'"2026-06-01T08:00:00"', b"18446744073709551616", b"[]", b"{}"])
HOSTILE = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(JSON_ATOMS, max_size=4).map(lambda xs: b"[" + b",".join(xs) + b"]"),
    st.dictionaries(st.sampled_from(["code", "public_key", "items", "app_version", "outbox_depth", "checks",
                                     "peripherals", "record", "photo", "\x00"]), JSON_ATOMS, max_size=4)
    .map(lambda d: b"{" + b",".join(json.dumps(k).encode() + b":" + v for k, v in d.items()) + b"}"),
)


def test_fuzz_terminal_api_with_hostile_bytes(make_server, make_kiosk, caplog):
    server = make_server(rate_per_terminal=10_000, burst_per_terminal=10_000)
    kiosk = make_kiosk(server)
    paths = [f"{API}/records", f"{API}/heartbeat", f"{API}/self-tests", f"{API}/enroll"]

    @given(path=st.sampled_from(paths), body=HOSTILE, signed=st.booleans(),
           stamp=st.sampled_from([None, "nan", "1e400", "inf", "-0"]),
           content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]))
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(path, body, signed, stamp, content_type):
        headers = signed_headers(kiosk.identity, "POST", path, body, timestamp=stamp) if signed else {}
        headers["Content-Type"] = content_type
        response = httpx.post(f"{server.url}{path}", content=body, headers=headers, timeout=30)
        assert response.status_code < 500, (path, body, response.text)
        if len(body) > 16:
            assert body.decode("latin-1") not in response.text

    check()
