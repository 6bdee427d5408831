"""Paper verification at central: the form's QR payload against the stored record, Ed25519 signatures checked
with the printing terminal's enrolled key."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.form.payload import make_payload
from kiosk.form.signing import HmacSigner


class Ed25519Signer:
    algorithm = "ed25519"

    def __init__(self, key):
        self.key = key

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def verify(self, data: bytes, signature: bytes) -> bool:
        raise NotImplementedError


def _qr(record, signer, terminal: str) -> str:
    return make_payload(record, signer, dt.datetime.now(dt.UTC), terminal_id=terminal).text()


def test_paper_verification(console, client):
    record, _ = console.push()
    terminal = console.terminal()
    good = _qr(record, Ed25519Signer(console.keys[terminal]), terminal)
    forged = _qr(record, Ed25519Signer(Ed25519PrivateKey.generate()), terminal)
    local = _qr(record, HmacSigner(b"k" * 32), terminal)
    c = client("school1")

    def check(text: str) -> str:
        response = c.get(f"/verify?qr={quote(text)}")
        assert response.status_code == 200
        return response.text

    assert "纸质表与系统记录一致" in check(good) and "签名：有效" in check(good)
    assert "签名无效" in check(forged)
    assert "只能由打印它的终端核验" in check(local)
    assert "二维码内容无法识别" in check("HNZK1|garbage")
    assert "不在您的管理范围内" in client("school2").get(f"/verify?qr={quote(good)}").text
    c.post(f"/records/{record.record_id}/correction", {"reason": "电话有误", "contact_phone": "13912345678"})
    county = client("county")
    county.post("/corrections/1/decide", {"decision": "approve"})
    assert "此纸质表作废" in check(good)
