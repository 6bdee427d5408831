"""The candidate record: identity from the chip (read-only), the student's entries, attachments by hash, state.

This is also the wire schema shared with central/ (see `kiosk record example` for a complete instance).
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from kiosk.clock import utcnow
from kiosk.identity import IdentityCard


class RecordState(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PRINTED = "printed"
    SIGNED = "signed"  # locked: changes only through an approved correction request
    CORRECTION_REQUESTED = "correction_requested"


# Named groups of states: code and SQL ask "is it locked?", never compare state strings.
EDITABLE = frozenset({RecordState.DRAFT})  # the student may change entries
LOCKED = frozenset({RecordState.SIGNED, RecordState.CORRECTION_REQUESTED})  # changes only through a transition
QUEUED = frozenset(set(RecordState) - EDITABLE)  # a saved version in one of these states goes to the outbox
PURGEABLE = frozenset({RecordState.SIGNED})  # deleted locally once confirmed by central and past retention


Relation = Literal["父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "其他监护人"]


class Guardian(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    relation: Relation
    phone: str
    work_unit: str = ""


class StudyEntry(BaseModel):
    """One line of 学习简历: months as YYYY-MM, both inclusive."""

    model_config = ConfigDict(frozen=True)
    start: str
    end: str
    school: str
    role: str = "无"  # 任何职务
    witness: str  # 证明人


class OperatorNote(BaseModel):
    """Something the staff should look at before signing: a photo that may be a recapture, an OCR mismatch."""

    model_config = ConfigDict(frozen=True)
    source: Literal["photo", "document"]
    code: str
    message: str  # Chinese, for the operator


# Fields added after records were first synced: they count in the content hash only when set, so the hash of a
# record saved before they existed does not change (sync's idempotency compares hashes).
LATER_FIELDS = ("photo_confirmed", "operator_notes", "operator_verified", "password_fingerprint")


class Identity(BaseModel):
    """The chip's fields as read (IdentityCard.as_json(): dates as YYYY-MM-DD, valid_until "长期" when long-term),
    validated once when the record is built or loaded; `card` is the IdentityCard view of it. The JSON shape is the
    wire's and the content hash's, unchanged. It also reads as a mapping (`identity["name"]`, `.get`, `**`) for
    code that treats it as the chip's JSON."""

    model_config = ConfigDict(frozen=True, extra="allow")

    card_type: str = "resident"
    name: str = ""
    gender_code: str = ""
    birth_date: str
    id_number: str
    valid_from: str
    valid_until: str = "长期"
    ethnicity_code: str = ""
    address: str = ""
    authority: str = ""
    permit_number: str = ""
    issue_count: str = ""
    english_name: str = ""
    nationality: str = ""
    card_version: str = ""
    authority_code: str = ""
    renewal_count: str = ""
    previous_number_link: str = ""
    gender: str = ""
    ethnicity: str = ""
    has_photo: bool = False

    @classmethod
    def of(cls, card: IdentityCard) -> "Identity":
        return cls.model_validate(card.as_json())

    @property
    def card(self) -> IdentityCard:
        return IdentityCard.from_json(self.model_dump())

    # -- the mapping view ---------------------------------------------------------------------------------------
    def keys(self):
        return self.model_dump().keys()

    def __getitem__(self, key: str):
        try:
            return getattr(self, key) if key in type(self).model_fields else self.model_extra[key]
        except (KeyError, TypeError):
            raise KeyError(key) from None

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)

    record_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    version: int = 1
    state: RecordState = RecordState.DRAFT
    policy: str  # policy name, e.g. henan-2024
    category: str  # category code of that policy
    terminal_id: str = ""
    identity: Identity  # as read from the chip; never edited
    school_code: str = ""
    school_name: str = ""
    student_number: str = ""  # 学籍号
    guardians: list[Guardian] = []
    study_history: list[StudyEntry] = []
    contact_phone: str = ""
    phone_confirmed: bool = False
    home_address: str = ""
    claims: list[str] = []  # qualification claims by code (see the policy's `claims`)
    photo_sha256: str = ""
    photo_confirmed: list[str] = []  # photo questions the student answered yes (codes, see kiosk.photo.CONFIRMATIONS)
    operator_notes: list[OperatorNote] = []
    operator_verified: str = ""  # no ID card: the operator id who typed the identity from the 户口簿 page
    document_sha256: str = ""
    password_hash: str = ""  # set by the student only; see kiosk.record.password
    password_fingerprint: str = ""  # HMAC of the password under the school's key (kiosk.wire.password_fingerprint)
    print_count: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    @field_serializer("identity")
    def _identity_json(self, identity) -> dict:
        """The chip's JSON (also when model_copy(update=...) put a plain dict there without validation)."""
        return identity.model_dump() if isinstance(identity, Identity) else dict(identity)

    @property
    def chip(self) -> Identity:
        """The typed identity (a raw dict only where model_copy(update=...) skipped validation)."""
        identity = self.identity
        return identity if isinstance(identity, Identity) else Identity.model_validate(identity)

    @property
    def card(self) -> IdentityCard:
        return self.chip.card

    @property
    def id_number(self) -> str:
        return self.chip.id_number

    @property
    def name(self) -> str:
        return self.chip.name

    @property
    def locked(self) -> bool:
        return self.state in LOCKED

    def content_hash(self) -> str:
        """SHA-256 over what the candidate declared (everything but bookkeeping): the form's QR and sync use it."""
        data = self.model_dump(mode="json", exclude={"state", "print_count", "updated_at", "terminal_id", "version"})
        for name in LATER_FIELDS:
            if not data[name]:
                del data[name]
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
