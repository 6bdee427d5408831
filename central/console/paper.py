"""Paper verification at central: a form's QR payload (kiosk.form.payload) against the stored record and version.

Central verifies signatures it can: "ed25519" payloads against the printing terminal's enrolled public key. An
"hs256" payload (the terminal's own HMAC key) can only be checked by the terminal that printed it.
"""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import Record, RecordVersion, Terminal
from kiosk.errors import KioskError
from kiosk.form.payload import parse_payload

from .progress import STATE_LABELS
from .scope import Scope

MAX_PAYLOAD = 400


@dataclass(frozen=True)
class PaperCheck:
    ok: bool
    message: str  # Chinese, for the operator
    record_id: str = ""
    version: int | None = None
    current_version: int | None = None
    signature_valid: bool | None = None


def check(session: Session, scope: Scope, text: str) -> PaperCheck:
    try:
        payload = parse_payload(text[:MAX_PAYLOAD])
    except KioskError as exc:
        return PaperCheck(False, exc.message)
    rid = str(payload.record_id)
    record = session.scalar(select(Record).where(Record.record_id == rid, scope.records()))
    if record is None:
        return PaperCheck(False, "系统中没有该考生记录，或该记录不在您的管理范围内", rid, payload.version)
    signature = None
    terminal = session.get(Terminal, payload.terminal_id)
    if payload.algorithm == "ed25519" and terminal is not None:
        try:
            Ed25519PublicKey.from_public_bytes(terminal.public_key).verify(payload.signature,
                                                                           payload.signed_text.encode())
            signature = True
        except (InvalidSignature, ValueError):
            signature = False
    printed = session.get(RecordVersion, (rid, payload.version))
    matches = printed is not None and printed.content_hash == payload.content_hash
    changed = record.version != payload.version or record.content_hash != payload.content_hash
    state = STATE_LABELS.get(record.state, record.state)
    if signature is False:
        message, ok = "二维码签名无效：不是该终端打印的表，或二维码被篡改，请勿采信", False
    elif not matches and not changed:
        message, ok = "纸质表内容与打印时的记录不一致，请勿采信", False
    elif changed:
        message, ok = f"该表打印后考生信息已修改（当前第{record.version}版，{state}），此纸质表作废", False
    else:
        message, ok = f"纸质表与系统记录一致（第{record.version}版，{state}）", True
        if signature is None:
            message += "；此表的签名只能由打印它的终端核验"
    return PaperCheck(ok, message, rid, payload.version, record.version, signature)
