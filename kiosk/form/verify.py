"""Checking paper against the store: scan the form's QR, then ask whether the record exists here, whether the paper
is what was printed for it, whether the record changed since, and whether this terminal's Ed25519 signature holds.
Paper of a record this terminal does not hold is another terminal's: central checks its signature."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.errors import KioskError
from kiosk.record import STATE_LABELS

from .payload import FormPayload, parse_payload
from .signing import Signer, terminal_signer


@dataclass(frozen=True)
class Verification:
    payload: FormPayload
    found: bool  # a record with this id is in the store
    signature_valid: bool | None  # None: not this terminal's paper (central checks it)
    matches_printed: bool  # the stored content of the printed version has the hash on the paper
    changed_since: bool  # the record's current version or content differs from the paper
    current_version: int | None
    current_state: str | None
    message: str  # Chinese, for the operator

    @property
    def ok(self) -> bool:
        return self.found and self.signature_valid is not False and self.matches_printed and not self.changed_since

    def as_json(self) -> dict:
        p = self.payload
        return {"ok": self.ok, "record_id": str(p.record_id), "version": p.version, "terminal_id": p.terminal_id,
                "printed_at": p.printed_at.isoformat(), "content_hash": p.content_hash, "found": self.found,
                "signature_valid": self.signature_valid, "matches_printed": self.matches_printed,
                "changed_since": self.changed_since, "current_version": self.current_version,
                "current_state": self.current_state, "message": self.message}


def verify(payload: str | FormPayload, store, signer: Signer | None = None) -> Verification:
    """payload: the QR text (or a parsed one); signer defaults to this terminal's key (terminal_signer)."""
    p = parse_payload(payload) if isinstance(payload, str) else payload
    try:
        current = store.get(p.record_id)
    except KioskError:
        return Verification(p, False, None, False, False, None, None,
                            "本终端没有该考生记录，请到采集该考生的学校或报名点核验，或由中心核验")
    signature = p.signature_valid(signer or terminal_signer(store))
    try:
        printed = store.get_version(p.record_id, p.version)
        matches = printed.content_hash() == p.content_hash
    except KioskError:
        matches = False
    changed = current.version != p.version or current.content_hash() != p.content_hash
    state = current.state.value
    if signature is False:
        message = "二维码签名无效：该表不是本终端打印的，或二维码被篡改，请勿采信"
    elif not matches and not changed:
        message = "纸质表内容与打印时的记录不一致，请勿采信并报告工作人员"
    elif changed:
        message = (f"该表打印后考生信息已修改（当前第{current.version}版，{STATE_LABELS[current.state]}），"
                   "此纸质表作废，请重新打印并签字")
    else:
        message = f"纸质表与系统记录一致（第{current.version}版，{STATE_LABELS[current.state]}）"
    return Verification(p, True, signature, matches, changed, current.version, state, message)
