"""Keys (issue #10): small-order and non-canonical Ed25519 keys and signatures refused, /enroll throttled per
address, the server key pinned at enrollment and config responses verified, https except loopback, policy names
as plain file names, the roster cache sealed with the device key."""
from __future__ import annotations

import base64
import json
from dataclasses import replace

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import models, terminals
from central.keys import L, public_key_problem
from kiosk.errors import KioskError
from kiosk.sync import enroll
from kiosk.sync.identity import check_server_url
from kiosk.wire import API, H_SIGNATURE
from tests.support.central import signed_headers

P = 2 ** 255 - 19
SMALL_ORDER = {
    "identity": (1).to_bytes(32, "little"),
    "all-zero (order 4)": bytes(32),
    "order 2": (P - 1).to_bytes(32, "little"),
    "order 8": bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    "order 8 (other)": bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    "non-canonical y": P.to_bytes(32, "little"),
    "non-canonical identity": (P + 1).to_bytes(32, "little"),
    "not on the curve": (2).to_bytes(32, "little"),
}


@pytest.mark.parametrize("name", list(SMALL_ORDER))
def test_small_order_and_non_canonical_keys_are_refused_at_enrollment(server, name):
    key = SMALL_ORDER[name]
    assert public_key_problem(key)
    body = {"code": server.code(), "public_key": base64.b64encode(key).decode()}
    response = httpx.post(f"{server.url}{API}/enroll", json=body)
    assert response.status_code == 403 and "refused" in response.text
    assert server.count(models.Terminal) == 0


def test_forged_signature_for_the_identity_key_cannot_be_used(server, make_kiosk):
    """The attack of the issue: with the identity point as key, R = identity and S = 0 'verifies' any message."""
    kiosk = make_kiosk(server)
    server.central.write(lambda s: s.get(models.Terminal, kiosk.identity.terminal_id).__setattr__(
        "public_key", SMALL_ORDER["identity"]))  # as if it had been accepted before this fix
    server.central.terminal_cache.clear()
    body = b'{"app_version": "1", "outbox_depth": 0}'
    headers = signed_headers(kiosk.identity, "POST", f"{API}/heartbeat", body)
    headers[H_SIGNATURE] = ((1).to_bytes(32, "little") + bytes(32)).hex()
    assert httpx.post(f"{server.url}{API}/heartbeat", content=body, headers=headers).status_code == 401


def test_non_canonical_signature_is_refused(server, make_kiosk):
    kiosk = make_kiosk(server)
    body = b'{"app_version": "1", "outbox_depth": 0}'
    headers = signed_headers(kiosk.identity, "POST", f"{API}/heartbeat", body)
    raw = bytes.fromhex(headers[H_SIGNATURE])
    s = int.from_bytes(raw[32:], "little") + L  # same signature modulo L, S >= L
    headers[H_SIGNATURE] = (raw[:32] + s.to_bytes(32, "little")).hex()
    assert httpx.post(f"{server.url}{API}/heartbeat", content=body, headers=headers).status_code == 401


def test_enroll_is_throttled_per_address_and_codes_stay_single_use(server, tmp_path):
    code = server.code()
    enroll(server.url, code, tmp_path / "a")
    statuses = [httpx.post(f"{server.url}{API}/enroll", json={"code": "WRONG-CODE-0000", "public_key": base64.b64encode(
        Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()}).status_code for _ in range(8)]
    assert statuses[:5] == [403] * 5 and statuses[5:] == [429] * 3
    with pytest.raises(KioskError):
        enroll(server.url, code, tmp_path / "b")


def test_https_required_except_loopback():
    for url in ("http://central.example.org", "http://10.0.0.5:8800", "ftp://127.0.0.1", "central.example.org"):
        with pytest.raises(KioskError):
            check_server_url(url)
    for url in ("https://central.example.org/", "http://127.0.0.1:8800", "http://localhost:1", "http://[::1]:80"):
        assert check_server_url(url) == url.rstrip("/")


def test_server_key_pinned_and_config_signed(server, make_kiosk):
    kiosk = make_kiosk(server)
    assert kiosk.identity.server_key
    saved = json.loads((kiosk.dir / "sync" / "terminal.json").read_text())
    assert saved["server_key"] == kiosk.identity.server_key
    response = kiosk.client.get(f"{API}/config")
    kiosk.identity.verify_response(response)
    tampered = httpx.Response(200, headers=response.headers, request=response.request,
                              content=response.content.replace(b"4114030012", b"4114030099"))
    with pytest.raises(ValueError):
        kiosk.identity.verify_response(tampered)
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
    with pytest.raises(ValueError):
        replace(kiosk.identity, server_key=other).verify_response(response)
    # a response to another request (an old answer replayed) does not verify either
    again = kiosk.client.get(f"{API}/config")
    replayed = httpx.Response(200, headers=response.headers, content=response.content, request=again.request)
    with pytest.raises(ValueError):
        kiosk.identity.verify_response(replayed)


@pytest.mark.parametrize("field,value", [("name", "../../../x"), ("name", "a/b"), ("name", ".hidden"),
                                         ("filename", "../../../x{id_number}.jpg"), ("filename", "/etc/{id_number}")])
def test_server_given_file_names_never_leave_their_folder(make_server, make_kiosk, tmp_path, field, value):
    from kiosk.policy import load_policies

    policy_dir = tmp_path / "served-policies"
    policy_dir.mkdir()
    document = json.loads(load_policies()["henan-2024"].model_dump_json())
    if field == "name":
        document["name"] = value
    else:
        document["name"], document["document"]["filename"] = "evil-2099", value
    (policy_dir / "evil.json").write_text(json.dumps(document, ensure_ascii=False))
    server = make_server(policy_dir=policy_dir)
    kiosk = make_kiosk(server)
    assert kiosk.worker.pull_config() is False
    assert kiosk.worker.config.last_good() is None
    assert not list(kiosk.dir.rglob("policies/*")) and not list(tmp_path.rglob("x*.json"))


def test_roster_cache_is_sealed(server, make_kiosk):
    schools = [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"}]
    roster = [{"student_number": "G411403200903150011", "id_number": "411403200903150011", "name": "张三丰",
               "school_code": "4114030012"}]
    server.central.write(lambda s: terminals.load_schools(s, schools, roster, server.central.data_keys))
    kiosk = make_kiosk(server)
    assert kiosk.worker.pull_config() is True
    assert kiosk.worker.config.last_good().roster[0].name == "张三丰"
    for path in (kiosk.dir / "sync").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert "张三丰".encode() not in data and b"411403200903150011" not in data, path
    assert (kiosk.dir / "sync" / "config" / "config.sealed").stat().st_mode & 0o777 == 0o600
