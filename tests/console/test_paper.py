"""Paper verification at central: the form's QR payload against the stored record, Ed25519 signatures checked
with the printing terminal's enrolled key."""
from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.form import Ed25519Signer
from kiosk.form.payload import make_payload, parse_payload


def _qr(record, signer, terminal: str) -> str:
    return make_payload(record, signer, dt.datetime.now(dt.UTC), terminal_id=terminal).text()


def test_paper_verification(console, client):
    record, _ = console.push()
    terminal = console.terminal()
    good = _qr(record, Ed25519Signer(console.keys[terminal]), terminal)
    forged = _qr(record, Ed25519Signer(Ed25519PrivateKey.generate()), terminal)
    unknown = _qr(record, Ed25519Signer(Ed25519PrivateKey.generate()), "T-411403-NOTENROL")
    hmac = dataclasses.replace(parse_payload(good), algorithm="hs256").text()  # the old terminal-only signature
    content = _qr(record.model_copy(update={"home_address": "河南省商丘市别处9号"}),
                  Ed25519Signer(console.keys[terminal]), terminal)
    c = client("school1")

    def check(text: str) -> str:
        response = c.get(f"/verify?qr={quote(text)}")
        assert response.status_code == 200
        return response.text

    assert "纸质表与系统记录一致" in check(good) and "签名：有效" in check(good)
    assert "签名无效" in check(forged)
    assert "未在系统中登记" in check(unknown) and "签名：终端未登记" in check(unknown)
    assert "签名无效" in check(hmac)
    assert "内容与系统中该版本的记录不一致" in check(content) and "签名：有效" in check(content)
    assert "二维码内容无法识别" in check("HNZK1|garbage")
    assert "不在您的管理范围内" in client("school2").get(f"/verify?qr={quote(good)}").text
    c.post(f"/records/{record.record_id}/correction", {"reason": "电话有误", "contact_phone": "13912345678"})
    county = client("county")
    county.post("/corrections/1/decide", {"decision": "approve"})
    assert "此纸质表作废" in check(good)
