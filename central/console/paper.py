"""Paper verification at central: a form's QR payload (kiosk.form.payload) against the stored record and version.

Every kiosk signs the payload with its Ed25519 key, the one it enrolled with (kiosk.form.signing), so central checks
paper it did not print. The verdict (PaperCheck.verdict): "match" (signature good, the paper is the current stored
version), "changed" (authentic, but the record has a newer version since), "mismatch" (authentic signature but
content the server never stored for that version), "unknown_terminal" (no terminal enrolled under the printed id),
"forged" (the signature is not that terminal's), "not_uploaded" (authentic, a version central has not received
yet), "unreadable", "not_found".
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import Record, RecordVersion, Terminal
from kiosk.errors import KioskError
from kiosk.form.payload import parse_payload
from kiosk.form.signing import ALGORITHM, verify_ed25519

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
    signature_valid: bool | None = None  # None: no enrolled terminal to check it against
    verdict: str = "unreadable"


def check(session: Session, scope: Scope, text: str) -> PaperCheck:
    try:
        payload = parse_payload(text[:MAX_PAYLOAD])
    except KioskError as exc:
        return PaperCheck(False, exc.message)
    rid = str(payload.record_id)
    record = session.scalar(select(Record).where(Record.record_id == rid, scope.records()))
    if record is None:
        return PaperCheck(False, "系统中没有该考生记录，或该记录不在您的管理范围内", rid, payload.version,
                          verdict="not_found")

    def answer(ok: bool, message: str, verdict: str, signature: bool | None) -> PaperCheck:
        return PaperCheck(ok, message, rid, payload.version, record.version, signature, verdict)

    terminal = session.get(Terminal, payload.terminal_id)
    if terminal is None:
        return answer(False, f"二维码中的终端（{payload.terminal_id or '空'}）未在系统中登记，无法确认此表由本系统打印，"
                             "请勿采信", "unknown_terminal", None)
    signed = payload.algorithm == ALGORITHM and verify_ed25519(terminal.public_key, payload.signed_text.encode(),
                                                               payload.signature)
    if not signed:
        return answer(False, "二维码签名无效：不是该终端打印的表，或二维码被篡改，请勿采信", "forged", False)
    printed = session.get(RecordVersion, (rid, payload.version))
    if printed is None:
        return answer(False, f"系统中还没有该表的第{payload.version}版（打印终端可能尚未上传），暂不能采信",
                      "not_uploaded", True)
    if printed.content_hash != payload.content_hash:
        return answer(False, "纸质表内容与系统中该版本的记录不一致，请勿采信", "mismatch", True)
    state = STATE_LABELS.get(record.state, record.state)
    if record.version != payload.version or record.content_hash != payload.content_hash:
        return answer(False, f"该表打印后考生信息已修改（当前第{record.version}版，{state}），此纸质表作废", "changed",
                      True)
    return answer(True, f"纸质表与系统记录一致（第{record.version}版，{state}）", "match", True)
