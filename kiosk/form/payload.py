"""The text in the form's QR code: record id, version, content hash, terminal, print time, signature.

    HNZK1|<record id, 32 hex>|<version>|<content sha256, 64 hex>|<terminal id>|<printed at, unix s>|<alg>|<sig>

The signature (the terminal's Ed25519, 64 bytes as base64url without padding) covers everything before the last
"|". About 235 characters: a QR of version 11 at error correction level M, read from the printed form at 150 dpi
(tests/form/test_render.py) by a phone or a kiosk scanner.
"""
from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from dataclasses import dataclass

from kiosk.errors import KioskError

from .signing import Signer

PREFIX = "HNZK1"
PATTERN = re.compile(r"^HNZK1\|([0-9a-f]{32})\|([0-9]{1,6})\|([0-9a-f]{64})\|([0-9A-Za-z._-]{0,40})\|([0-9]{1,12})"
                     r"\|([a-z0-9]{1,16})\|([A-Za-z0-9_-]{16,200})$")


@dataclass(frozen=True)
class FormPayload:
    record_id: uuid.UUID
    version: int
    content_hash: str
    terminal_id: str
    printed_at: dt.datetime
    algorithm: str
    signature: bytes

    @property
    def signed_text(self) -> str:
        return "|".join([PREFIX, self.record_id.hex, str(self.version), self.content_hash, self.terminal_id,
                         str(int(self.printed_at.timestamp())), self.algorithm])

    def text(self) -> str:
        return self.signed_text + "|" + base64.urlsafe_b64encode(self.signature).decode().rstrip("=")

    def signature_valid(self, signer: Signer) -> bool:
        return signer.algorithm == self.algorithm and signer.verify(self.signed_text.encode(), self.signature)


def make_payload(record, signer: Signer, printed_at: dt.datetime, terminal_id: str | None = None) -> FormPayload:
    unsigned = FormPayload(record.record_id, record.version, record.content_hash(),
                           terminal_id if terminal_id is not None else record.terminal_id,
                           printed_at.replace(microsecond=0), signer.algorithm, b"")
    if not re.fullmatch(r"[0-9A-Za-z._-]{0,40}", unsigned.terminal_id):
        raise KioskError("终端编号格式不正确，请联系技术人员", detail="terminal id not printable in the QR payload")
    return FormPayload(**{**unsigned.__dict__, "signature": signer.sign(unsigned.signed_text.encode())})


def parse_payload(text: str) -> FormPayload:
    match = PATTERN.match(text.strip())
    if not match:
        raise KioskError("二维码内容无法识别，请确认扫描的是本系统打印的报名登记表", detail="payload does not parse")
    rid, version, digest, terminal, stamp, algorithm, sig = match.groups()
    signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    return FormPayload(uuid.UUID(rid), int(version), digest, terminal,
                       dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc), algorithm, signature)
