"""An httpx client whose every request is signed with the terminal's key (timestamp + nonce + body hash)."""
from __future__ import annotations

import secrets
import time

import httpx

from kiosk.wire import API, H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, SelfTestReport, signing_message

from .identity import TerminalIdentity, check_server_url


class SignedAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, identity: TerminalIdentity):
        self.identity = identity

    def auth_flow(self, request: httpx.Request):
        timestamp, nonce = f"{time.time():.3f}", secrets.token_hex(16)
        path = request.url.raw_path.decode()
        message = signing_message(request.method, path, timestamp, nonce, request.content)
        request.headers.update({H_TERMINAL: self.identity.terminal_id, H_TIMESTAMP: timestamp, H_NONCE: nonce,
                                H_SIGNATURE: self.identity.key.sign(message).hex()})
        yield request


def open_client(identity: TerminalIdentity, timeout: float = 20.0, server: str | None = None,
                transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Fresh nonce per attempt: httpx calls auth_flow for every request, so a retry is never a replay."""
    return httpx.Client(base_url=check_server_url(server or identity.server), auth=SignedAuth(identity),
                        timeout=httpx.Timeout(timeout, connect=5.0), transport=transport)


def send_self_test(client: httpx.Client, report: SelfTestReport) -> bool:
    """Uploads a self-test report (provisioning and the daily check call this); False when the server is away."""
    try:
        response = client.post(f"{API}/self-tests", content=report.model_dump_json(),
                               headers={"Content-Type": "application/json"})
        return response.status_code == 201
    except httpx.HTTPError:
        return False
