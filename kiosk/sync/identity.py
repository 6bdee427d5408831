"""The terminal's identity: an Ed25519 key made on the terminal (private part in a 0600 file) and what enrollment
returned (terminal id, role, scope, server URL, the server's public key pinned for signed responses), kept in
the sync directory. The server is reached over https only; plain http only on loopback (tests, the embedded demo).
"""
from __future__ import annotations

import base64
import ipaddress
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.errors import KioskError

from .files import read_json, write_atomic, write_json
from kiosk.wire import API, EnrollResponse, response_message

KEY_FILE, TERMINAL_FILE = "terminal.key", "terminal.json"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        raw = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw,
                                                         serialization.PrivateFormat.Raw,
                                                         serialization.NoEncryption())
        write_atomic(path, raw, mode=0o600)
    if path.stat().st_mode & 0o077:
        raise KioskError("终端密钥文件权限不安全，请联系技术人员", detail=f"key file {path} is not mode 0600")
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_server_url(server: str) -> str:
    """The URL without a trailing slash; KioskError unless https, or http to a loopback address."""
    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme == "https" or (parts.scheme == "http" and loopback):
        return server.rstrip("/")
    raise KioskError("中心服务器地址必须使用 https", detail=f"refused server URL scheme {parts.scheme!r}")


@dataclass(frozen=True)
class TerminalIdentity:
    server: str
    terminal_id: str
    role: str
    school_code: str
    county_code: str
    key: Ed25519PrivateKey
    server_key: str = ""  # base64 Ed25519 public key of the server, pinned at enrollment

    @classmethod
    def load(cls, sync_dir: str | os.PathLike) -> "TerminalIdentity":
        sync_dir = Path(sync_dir)
        data = read_json(sync_dir / TERMINAL_FILE)
        if not data:
            raise KioskError("本终端尚未注册，请先执行 kiosk sync enroll", detail=f"no {TERMINAL_FILE} in {sync_dir}")
        return cls(key=load_or_create_key(sync_dir / KEY_FILE), **data)

    def public_json(self) -> dict:
        data = asdict(self)
        data.pop("key")
        return data

    def verify_response(self, response: httpx.Response) -> None:
        """ValueError unless the response carries the pinned server key's signature over its status, body and
        this request's nonce."""
        from kiosk.wire import H_NONCE, H_SERVER_SIGNATURE

        if not self.server_key:
            raise ValueError("no server key pinned at enrollment: enroll again")
        try:
            signature = bytes.fromhex(response.headers.get(H_SERVER_SIGNATURE, ""))
            Ed25519PublicKey.from_public_bytes(base64.b64decode(self.server_key)).verify(
                signature, response_message(response.status_code, response.request.headers.get(H_NONCE, ""),
                                            response.content))
        except (InvalidSignature, ValueError):
            raise ValueError("response not signed by the pinned server key") from None


def enroll(server: str, code: str, sync_dir: str | os.PathLike, app_version: str = "",
           transport: httpx.BaseTransport | None = None) -> TerminalIdentity:
    """Creates the key pair (once), sends the public part with the one-time code, saves what the server assigned."""
    sync_dir, server = Path(sync_dir), check_server_url(server)
    key = load_or_create_key(sync_dir / KEY_FILE)
    body = {"code": code, "public_key": base64.b64encode(public_bytes(key)).decode(), "app_version": app_version}
    try:
        with httpx.Client(base_url=server, timeout=15, transport=transport) as client:
            response = client.post(f"{API}/enroll", json=body)
    except httpx.HTTPError as exc:
        raise KioskError("无法连接中心服务器，请检查网络后重试", detail=f"enroll: {exc!r}") from None
    if response.status_code in (403, 409):
        raise KioskError("注册码无效、已使用或已过期，请向管理员索取新的注册码",
                         detail=f"enroll refused: {response.status_code} {response.text[:200]}")
    if response.status_code not in (200, 201):
        raise KioskError("注册失败，请稍后重试", detail=f"enroll: HTTP {response.status_code}")
    try:
        answer = EnrollResponse.model_validate_json(response.content)
    except ValueError:
        raise KioskError("注册失败，请稍后重试", detail="enroll: malformed answer") from None
    if not answer.server_public_key:
        raise KioskError("中心服务器未提供签名密钥，请升级服务器", detail="enroll: no server_public_key")
    pinned = read_json(sync_dir / TERMINAL_FILE) or {}
    server_key = base64.b64encode(answer.server_public_key).decode()
    if pinned.get("server_key") and pinned["server_key"] != server_key and pinned.get("server") == server:
        raise KioskError("中心服务器密钥与注册时不一致，请联系技术人员", detail="enroll: server key changed")
    values = answer.model_dump(exclude={"server_public_key"})
    identity = TerminalIdentity(server=server, key=key, server_key=server_key, **values)
    write_json(sync_dir / TERMINAL_FILE, identity.public_json(), mode=0o600)
    return identity
