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


def test_kiosk_printed_form_verifies_at_central(console, client, tmp_path):
    """A real kiosk (enrolled over HTTP, its store on disk) prints the form with its enrollment key; the QR read back
    from the rasterised PDF (the form tests' decoder) verifies at central, which did not print it."""
    import subprocess

    import cv2
    from consoleutil import Kiosk

    from drivers.printer import FilePrinter

    kiosk = Kiosk(console, tmp_path / "kiosk")
    try:
        record = kiosk.signed_record(printer=FilePrinter(tmp_path / "printed"))
        pdf = next((tmp_path / "printed").glob("*.pdf"))
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
        decoded, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(cv2.imread(str(tmp_path / "page.png")))
        assert decoded == kiosk.printed.form.payload.text()
        payload = parse_payload(decoded)
        assert payload.algorithm == "ed25519" and payload.terminal_id == kiosk.identity.terminal_id
    finally:
        kiosk.close()
    c = client("school1")

    def check(text: str) -> str:
        response = c.get(f"/verify?qr={quote(text)}")
        assert response.status_code == 200
        return response.text

    assert "纸质表与系统记录一致（第1版" in check(decoded) and "签名：有效" in check(decoded)
    retouched = dataclasses.replace(payload, version=payload.version + 1).text()  # the old signature kept
    assert "签名无效" in check(retouched)
    elsewhere = dataclasses.replace(payload, terminal_id="T-411403-00000000").text()
    assert "未在系统中登记" in check(elsewhere)
    assert str(record.record_id) in check(decoded)
