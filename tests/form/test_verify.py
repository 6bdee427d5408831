"""The QR payload and `verify`: paper against the store, changes since printing, forged signatures."""
import dataclasses
import datetime as dt

import pytest

from kiosk.errors import KioskError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.form import Ed25519Signer, make_payload, parse_payload, terminal_signer, verify
from kiosk.record import edit

NOW = dt.datetime(2024, 3, 5, 10, 22, tzinfo=dt.timezone.utc)


def test_payload_roundtrip_and_tamper(record, signer):
    payload = make_payload(record, signer, NOW)
    text = payload.text()
    assert len(text) < 250 and "|" not in record.terminal_id
    parsed = parse_payload(text)
    assert parsed == payload and parsed.signature_valid(signer)
    tampered = parse_payload(text.replace(f"|{record.version}|", f"|{record.version + 1}|"))
    assert not tampered.signature_valid(signer)
    assert not parsed.signature_valid(Ed25519Signer(Ed25519PrivateKey.generate()))


@pytest.mark.parametrize("text", ["", "hello", "HNZK1|", "HNZK1|" + "0" * 32 + "|1|abc|T|1|hs256|" + "A" * 43,
                                  "x" * 10_000, "HNZK1|\x00"])
def test_garbage_payload_refused_in_chinese(text):
    with pytest.raises(KioskError) as caught:
        parse_payload(text)
    assert "二维码" in caught.value.message


def test_terminal_id_that_cannot_be_encoded_is_refused(record, signer):
    with pytest.raises(KioskError):
        make_payload(record, signer, NOW, terminal_id="T|1")


def test_paper_matches_store(store, submitted):
    signer = terminal_signer(store)
    result = verify(make_payload(submitted, signer, NOW).text(), store)
    assert result.ok and result.found and result.signature_valid and result.matches_printed
    assert not result.changed_since and "一致" in result.message
    assert result.as_json()["record_id"] == str(submitted.record_id)


def test_record_changed_since_printing(store, submitted):
    signer = terminal_signer(store)
    paper = make_payload(submitted, signer, NOW).text()
    store.apply(submitted.record_id, "revise", "student")
    store.save(edit(store.get(submitted.record_id), home_address="河南省商丘市梁园区新地址1号"))
    result = verify(paper, store)
    assert not result.ok and result.changed_since and "作废" in result.message


def test_new_version_after_correction(store, submitted):
    signer = terminal_signer(store)
    paper = make_payload(submitted, signer, NOW).text()
    for action, details in (("print", {}), ("sign", {}), ("request_correction", {"reason": "学籍号有误"}),
                            ("approve_correction", {"approver": "county:01"})):
        store.apply(submitted.record_id, action, "operator:1", **details)
    result = verify(paper, store)
    assert result.matches_printed and result.changed_since and result.current_version == 2
    assert "第2版" in result.message


def test_forged_signature_and_unknown_record(store, submitted):
    forger = Ed25519Signer(Ed25519PrivateKey.generate())
    result = verify(make_payload(submitted, forger, NOW).text(), store)
    assert result.signature_valid is False and not result.ok and "签名无效" in result.message
    stranger = submitted.model_copy(update={"record_id": __import__("uuid").uuid4()})
    result = verify(make_payload(stranger, terminal_signer(store), NOW).text(), store)
    assert not result.found and "没有该考生记录" in result.message


def test_another_terminals_paper_is_left_to_central(store, submitted):
    """A record this terminal does not hold: its paper is another terminal's, whose key only central knows."""
    stranger = submitted.model_copy(update={"record_id": __import__("uuid").uuid4()})
    result = verify(make_payload(stranger, Ed25519Signer(Ed25519PrivateKey.generate()), NOW), store)
    assert result.signature_valid is None and not result.found and "中心核验" in result.message


def test_only_ed25519_is_taken(store, submitted):
    """One way to sign: a payload of another algorithm (the old HMAC forms) does not verify."""
    payload = make_payload(submitted, terminal_signer(store), NOW)
    legacy = dataclasses.replace(payload, algorithm="hs256")
    assert not verify(parse_payload(legacy.text()), store).ok
    assert verify(payload, store).ok and terminal_signer(store).public_key == terminal_signer(store).public_key
