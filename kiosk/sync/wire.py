"""The wire schema between a terminal and central: request and response bodies, request signing, push rules.

central/ imports this module (and kiosk.record) and nothing else of the kiosk, so both sides share one definition.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from kiosk.record import TRANSITIONS, Record, RecordState

API = "/api/v1"
Role = Literal["school", "point"]

# Request signing: Ed25519 over signing_message(); the headers carry the inputs.
H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE = "X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature"
MAX_CLOCK_SKEW_S = 300


def signing_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a terminal signs: method, path (with query), its timestamp and nonce, and the body's SHA-256."""
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()


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
    terminal_id: str
    role: Role
    school_code: str
    county_code: str


# -- configuration --------------------------------------------------------------------------------------------
class School(_Wire):
    code: str
    name: str
    county_code: str


class RosterEntry(_Wire):
    """A student whose 学籍 is at the terminal's school."""

    student_number: str
    id_number: str
    name: str
    school_code: str


class ConfigResponse(_Wire):
    terminal_id: str
    role: Role
    school_code: str
    county_code: str
    server_time: dt.datetime
    policies: list[dict] = Field(description="policy documents (kiosk.policy.Policy as JSON)")
    schools: list[School]
    roster: list[RosterEntry] = Field(description="empty for designated-point terminals")


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
# created / updated / already_have / conflict are final (the server holds the data); rejected is not.
FINAL_OUTCOMES = frozenset({"created", "updated", "already_have", "conflict"})


class PushResult(_Wire):
    record_id: str
    version: int
    outcome: Outcome
    conflict_id: int | None = None
    reason: str = Field(default="", description="English, for logs: why a conflict or rejection")


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


# -- push rules shared by both sides ----------------------------------------------------------------------------
def _successors() -> dict[RecordState, set[RecordState]]:
    """States reachable within one version (revise and approved corrections start a new version)."""
    step = {s: set() for s in RecordState}
    for action, (sources, target) in TRANSITIONS.items():
        if action in ("revise", "approve_correction"):
            continue
        for source in sources:
            step[source].add(target)
    reach = {}
    for start in RecordState:
        seen, todo = set(), [start]
        while todo:
            for nxt in step[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        reach[start] = seen
    return reach


_REACHABLE = _successors()


ID_NUMBER = re.compile(r"[0-9A-Z]{15,18}")
SCHOOL_CODE = re.compile(r"[0-9A-Za-z-]{0,20}")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_VERSION = 1_000_000


def push_problem(record: Record) -> str:
    """Why the server cannot take this record as it is (English, for logs), or ''."""
    if record.state == RecordState.DRAFT:
        return "drafts are not pushed"
    id_number = record.identity.get("id_number")
    if not isinstance(id_number, str) or not ID_NUMBER.fullmatch(id_number):
        return "identity.id_number missing or malformed"
    if not SCHOOL_CODE.fullmatch(record.school_code):
        return "school_code malformed"
    if not 1 <= record.version <= MAX_VERSION or not 0 <= record.print_count <= MAX_VERSION:
        return "version or print_count out of range"
    if any(sha and not SHA256.fullmatch(sha) for sha in (record.photo_sha256, record.document_sha256)):
        return "attachment hash malformed"
    return ""


def is_progress(held: Record, incoming: Record) -> bool:
    """Same version and content: is `incoming` a later point of the lifecycle than `held` (a reprint counts)?"""
    if incoming.updated_at <= held.updated_at:
        return False
    if incoming.state == held.state:
        return incoming.print_count > held.print_count
    return incoming.state in _REACHABLE[held.state]
