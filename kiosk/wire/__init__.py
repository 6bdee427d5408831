"""The wire schema between a terminal and central: request and response bodies, request signing, push rules.

central/ imports this package (and kiosk.record, kiosk.policy) and nothing else of the kiosk, so both sides share
one definition; importing it loads neither the terminal's store nor its HTTP client.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from kiosk.record import Record

API = "/api/v1"
Role = Literal["school", "point"]

# Request signing: Ed25519 over signing_message(); the headers carry the inputs.
H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE = "X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature"
H_SERVER_SIGNATURE = "X-Server-Signature"  # the server's Ed25519 signature of response_message()
MAX_CLOCK_SKEW_S = 300
# Unix seconds as a finite decimal (no NaN, inf, exponent or sign): what the terminal sends, what the server takes
TIMESTAMP = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,6})?")
NONCE = re.compile(r"[0-9A-Za-z_-]{8,64}")
# Policy names become file names on the terminal: no path separators, no leading dot
POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# A file name a policy gives (e.g. the document image's "{id_number}.jpg"): one plain component
FILE_NAME = re.compile(r"[A-Za-z0-9{_][A-Za-z0-9{}_.-]{0,99}")


def signing_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a terminal signs: method, path (with query), its timestamp and nonce, and the body's SHA-256."""
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


def response_message(status: int, request_nonce: str, body: bytes) -> bytes:
    """What the server signs in a response: bound to the request's nonce, so an old answer cannot be replayed."""
    return "\n".join(["RESPONSE", str(status), request_nonce, hashlib.sha256(body).hexdigest()]).encode()


def _from_base64(value):
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("not valid base64") from None
    return value


# Raw bytes in Python, base64 text on the wire.
Base64Bytes = Annotated[bytes, BeforeValidator(_from_base64),
                        PlainSerializer(lambda b: base64.b64encode(b).decode(), return_type=str, when_used="json"),
                        WithJsonSchema({"type": "string", "contentEncoding": "base64",
                                        "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"})]


def _key_length(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return value


PublicKey = Annotated[bytes, BeforeValidator(_from_base64), AfterValidator(_key_length),
                      PlainSerializer(lambda b: base64.b64encode(b).decode(), return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
                                      "description": "raw Ed25519 public key (32 bytes), base64"})]


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


def text(max_length: int, **kwargs):
    return Field(max_length=max_length, pattern=NO_NUL, **kwargs)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- enrollment -------------------------------------------------------------------------------------------------
class EnrollRequest(_Wire):
    code: str = Field(min_length=4, max_length=64)
    public_key: PublicKey
    app_version: str = text(64, default="")


class EnrollResponse(_Wire):
    terminal_id: str = Field(max_length=40)
    role: Role
    school_code: str = Field(max_length=20)
    county_code: str = Field(max_length=6)
    server_public_key: PublicKey | None = Field(
        default=None, description="the server's Ed25519 key: the terminal pins it and verifies signed responses")


# -- configuration --------------------------------------------------------------------------------------------
class School(_Wire):
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    county_code: str = Field(max_length=6)


class RosterEntry(_Wire):
    """A student whose 学籍 is at the terminal's school."""

    student_number: str = Field(max_length=40)
    id_number: str = Field(max_length=18)
    name: str = Field(max_length=50)
    school_code: str = Field(max_length=20)


FINGERPRINT = r"^[0-9a-f]{64}$"


def password_fingerprint(key: bytes, password: str) -> str:
    """HMAC-SHA256 of a password under its school's key (hex): what terminal and server compare, never the
    password or a plain hash of it."""
    return hmac.new(key, password.encode(), hashlib.sha256).hexdigest()


def student_tag(key: bytes, id_number: str) -> str:
    """The ID number's HMAC under the school key (hex, NUL-separated from any password): a terminal recognises its
    own student's entry in the pulled fingerprints without learning anyone's ID number."""
    return hmac.new(key, b"student\x00" + id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


class TakenPassword(_Wire):
    """A password fingerprint held by a student of the school (student: student_tag)."""

    student: str = Field(pattern=FINGERPRINT)
    fingerprint: str = Field(pattern=FINGERPRINT)


MAX_CORRECTION_VALUE = 200  # the longest correctable field (home_address)


class Correction(_Wire):
    """An authority's approved correction of a signed record (central's console): the terminal applies it with the
    lifecycle's "correct" transition (kiosk.corrections) and acknowledges it, once."""

    correction_id: int = Field(ge=1, le=2**62)
    record_id: uuid.UUID
    from_version: int = Field(ge=1, le=1_000_000, description="the signed version the correction was asked for")
    version: int = Field(ge=2, le=1_000_001, description="the corrected version (from_version + 1)")
    changes: dict[Annotated[str, text(40)], Annotated[str, text(MAX_CORRECTION_VALUE)]] = Field(
        min_length=1, max_length=10, description="field -> corrected value (kiosk.record.CORRECTABLE fields)")
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="content hash of the corrected version")
    approver: str = text(64, description="the approving operator's account")
    approved_at: dt.datetime


CorrectionOutcome = Literal["applied", "refused"]
# refused: why the terminal could not apply it (Chinese in kiosk.corrections.REFUSALS)
RefusalCode = Literal["not_held", "version_moved", "content_differs", "bad_fields"]


class CorrectionAck(_Wire):
    correction_id: int = Field(ge=1, le=2**62)
    outcome: CorrectionOutcome
    version: int = Field(ge=0, le=1_000_001, description="the record's version on the terminal now (0: none)")
    code: RefusalCode | None = None


MAX_ACKS = 32  # per request (central.limits caps the body at 64 KiB)


class CorrectionAckRequest(_Wire):
    acks: list[CorrectionAck] = Field(min_length=1, max_length=MAX_ACKS)


class CorrectionAckResult(_Wire):
    correction_id: int
    ok: bool
    reason: str = Field(default="", description="English: why an acknowledgement was not taken")


class CorrectionAckResponse(_Wire):
    results: list[CorrectionAckResult]


class ConfigResponse(_Wire):
    terminal_id: str
    role: Role
    school_code: str
    county_code: str
    server_time: dt.datetime
    policies: list[dict] = Field(description="policy documents (kiosk.policy.Policy as JSON)")
    schools: list[School]
    roster: list[RosterEntry] = Field(description="empty for designated-point terminals")
    return_candidates: list[RosterEntry] = Field(
        default_factory=list, description="point terminals: the county's return-to-hukou candidates (school_code "
                                          "empty when their school is outside the county)")
    return_list: bool = Field(default=False, description="point terminals: the county provided its list (a "
                                                         "return-to-hukou candidate not on it is refused)")
    password_key: Base64Bytes | None = Field(
        default=None, description="school terminals: the school's secret HMAC key for password fingerprints")
    password_taken: list[TakenPassword] = Field(
        default_factory=list, description="school terminals: fingerprints of the school's students' passwords")
    corrections: list[Correction] = Field(default_factory=list, max_length=100, description=(
        "approved corrections of this terminal's signed records not yet acknowledged (POST corrections/ack)"))


# -- record push ----------------------------------------------------------------------------------------------
MAX_BATCH = 50
MAX_ATTACHMENT_BYTES = 200_000


class PushItem(_Wire):
    record: Record
    photo: Base64Bytes | None = Field(default=None, description="JPEG bytes, base64; SHA-256 = record.photo_sha256")
    document: Base64Bytes | None = Field(default=None, description="JPEG, base64; SHA-256 = record.document_sha256")


class PushRequest(_Wire):
    items: list[PushItem] = Field(min_length=1, max_length=MAX_BATCH)


Outcome = Literal["created", "updated", "already_have", "conflict", "rejected"]
# created / updated / already_have / conflict are final (the server holds the data). rejected: the server will
# never take this version as it is; the terminal keeps it, stops sending it and shows the operator `message`.
FINAL_OUTCOMES = frozenset({"created", "updated", "already_have", "conflict"})


class PushResult(_Wire):
    record_id: str
    version: int
    outcome: Outcome
    conflict_id: int | None = None
    reason: str = Field(default="", description="English, for logs: why a conflict or rejection")
    code: str = Field(default="", description="rejected: a code of kiosk.wire.rules.MESSAGES")
    message: str = Field(default="", description="rejected: Chinese, shown to the operator beside the kept record")


class PushResponse(_Wire):
    results: list[PushResult]


# -- heartbeat and self-test ----------------------------------------------------------------------------------
class Heartbeat(_Wire):
    app_version: str = text(64)
    peripherals: dict[Annotated[str, text(64)], Annotated[str, text(200)]] = Field(
        default_factory=dict, max_length=50, description="device name -> state")
    outbox_depth: int = Field(ge=0, le=100_000_000)
    last_sync_error: str = text(500, default="")


class SelfTestCheck(_Wire):
    name: str = text(100)
    ok: bool
    detail: str = text(1000, default="")


class SelfTestReport(_Wire):
    app_version: str = text(64)
    checks: list[SelfTestCheck] = Field(max_length=200)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


class Ack(_Wire):
    ok: bool = True
    server_time: dt.datetime


class Problem(_Wire):
    detail: str


class FieldError(_Wire):
    loc: list[str]
    type: str
    msg: str


class ValidationProblem(_Wire):
    """422: where and why, never the input."""

    detail: list[FieldError]


from .rules import MESSAGES, Rejection, is_progress, jpeg_problem, push_problem  # noqa: E402
