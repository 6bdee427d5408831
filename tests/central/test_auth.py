"""Enrollment with one-time codes and signed requests: unknown, revoked, replayed, forged and stale are refused."""
from __future__ import annotations

import base64
import time

import httpx
import pytest

from central import terminals
from kiosk.errors import KioskError
from kiosk.sync import enroll
from kiosk.sync.client import SignedAuth
from kiosk.sync.identity import TerminalIdentity, load_or_create_key
from kiosk.wire import API, H_NONCE, H_SIGNATURE, H_TIMESTAMP, signing_message
from tests.support.central import wait_until


def test_code_is_single_use_and_key_file_is_private(server, tmp_path):
    code = server.code("point", "P411403", "411403")
    identity = enroll(server.url, code, tmp_path / "a")
    assert identity.role == "point" and identity.county_code == "411403"
    assert (tmp_path / "a" / "terminal.key").stat().st_mode & 0o777 == 0o600
    assert enroll(server.url, code, tmp_path / "a").terminal_id == identity.terminal_id  # lost reply: same answer
    with pytest.raises(KioskError):
        enroll(server.url, code, tmp_path / "b")  # another terminal cannot reuse it
    with pytest.raises(KioskError):
        enroll(server.url, "AAAA-BBBB-CCCC", tmp_path / "c")


def _signed(identity, url):
    return httpx.Client(base_url=url, auth=SignedAuth(identity), timeout=5)


def test_unknown_and_revoked_terminals_are_refused(server, make_kiosk, tmp_path):
    kiosk = make_kiosk(server)
    assert kiosk.client.get(f"{API}/config").status_code == 200
    stranger = TerminalIdentity(server.url, "T-411403-NOPE", "school", "1", "411403",
                                load_or_create_key(tmp_path / "stranger.key"))
    with _signed(stranger, server.url) as client:
        assert client.get(f"{API}/config").status_code == 401
    server.central.write(lambda s: terminals.revoke(s, kiosk.identity.terminal_id))
    wait_until(lambda: kiosk.client.get(f"{API}/config").status_code == 403)  # within the server's key cache time
    assert kiosk.client.post(f"{API}/heartbeat", json={"app_version": "1", "outbox_depth": 0}).status_code == 403


def test_replay_forgery_and_stale_timestamps_are_refused(server, make_kiosk, tmp_path):
    kiosk = make_kiosk(server)
    sent = []
    with httpx.Client(base_url=server.url, auth=SignedAuth(kiosk.identity),
                      event_hooks={"request": [sent.append]}) as client:
        assert client.post(f"{API}/heartbeat", json={"app_version": "1", "outbox_depth": 0}).status_code == 200
    original = sent[0]
    replay = httpx.post(str(original.url), content=original.content, headers=dict(original.headers))
    assert replay.status_code == 401 and "replay" in replay.text
    forged_headers = {**dict(original.headers), H_NONCE: "f" * 32}
    assert httpx.post(str(original.url), content=original.content, headers=forged_headers).status_code == 401
    tampered = httpx.post(str(original.url), content=original.content.replace(b'"1"', b'"2"'),
                          headers={**dict(original.headers), H_NONCE: "e" * 32})
    assert tampered.status_code == 401
    # a properly signed but stale request
    stale = httpx.Request("POST", f"{server.url}{API}/heartbeat", json={"app_version": "1", "outbox_depth": 0})
    stale = next(SignedAuth(kiosk.identity).auth_flow(stale))
    old = f"{time.time() - 3600:.3f}"
    stale.headers[H_TIMESTAMP] = old
    stale.headers[H_SIGNATURE] = kiosk.identity.key.sign(
        signing_message("POST", f"{API}/heartbeat", old, stale.headers[H_NONCE], stale.content)).hex()
    with httpx.Client() as client:
        assert client.send(stale).status_code == 401


def test_enroll_rejects_bad_keys(server):
    body = {"code": server.code(), "public_key": base64.b64encode(b"short").decode()}
    assert httpx.post(f"{server.url}{API}/enroll", json=body).status_code == 422
