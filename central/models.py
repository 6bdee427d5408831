"""Tables of the central database (SQLAlchemy 2 declarative); the schema itself is made by Alembic migrations."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict: JSON}


class Terminal(Base):
    __tablename__ = "terminals"
    terminal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    school_code: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(String(6))
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    app_version: Mapped[str] = mapped_column(String(64), default="")
    last_seen_at: Mapped[dt.datetime | None]
    peripherals: Mapped[dict] = mapped_column(default=dict)
    outbox_depth: Mapped[int] = mapped_column(default=0)
    last_sync_error: Mapped[str] = mapped_column(Text, default="")
    clock_skew_s: Mapped[float | None] = mapped_column(Float)  # terminal clock minus server clock, last heartbeat


class EnrollmentCode(Base):
    __tablename__ = "enrollment_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the code; the code is shown once
    role: Mapped[str] = mapped_column(String(10))
    school_code: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_by: Mapped[str | None] = mapped_column(ForeignKey("terminals.terminal_id"))


class School(Base):
    __tablename__ = "schools"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    county_code: Mapped[str] = mapped_column(String(6), index=True)


class RosterEntry(Base):
    """Keyed HMACs of the 学籍号 and ID number (lookups); `name` holds the sealed entry (central.records)."""

    __tablename__ = "roster"
    student_number: Mapped[str] = mapped_column(String(40), primary_key=True)  # HMAC hex of the 学籍号 (first 40)
    id_number: Mapped[str] = mapped_column(Text, index=True)  # HMAC hex
    name: Mapped[str] = mapped_column(Text)  # sealed JSON: student_number, id_number, name
    school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)


class Record(Base):
    """The current version and state of each record as terminals pushed it."""

    __tablename__ = "records"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int]
    state: Mapped[str] = mapped_column(String(24))
    content_hash: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.terminal_id"), index=True)
    id_number: Mapped[str] = mapped_column(String(64), index=True)  # keyed HMAC (central.records.id_digest)
    school_code: Mapped[str] = mapped_column(String(20), index=True)
    payload: Mapped[str] = mapped_column(Text)  # the Record's JSON as pushed, sealed (central.records)
    key_id: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecordVersion(Base):
    """Every version's content (its latest state): history for audits and corrections."""

    __tablename__ = "record_versions"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(24))
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # sealed
    key_id: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """Photo and document JPEGs, content-addressed; bytes live in the attachment storage."""

    __tablename__ = "attachments"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    stored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conflict(Base):
    """The operators' conflict queue: pushes that were kept aside, never merged into another record."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("kind", "record_id", "version", "content_hash", name="conflicts_once"),)
    conflict_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # id_number | content | locked | terminal
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    other_record_id: Mapped[str | None] = mapped_column(String(36))
    terminal_id: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # sealed
    key_id: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    __tablename__ = "heartbeats"
    __table_args__ = (Index("heartbeats_terminal_at", "terminal_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.terminal_id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    app_version: Mapped[str] = mapped_column(String(64))
    peripherals: Mapped[dict]
    outbox_depth: Mapped[int]


class SelfTest(Base):
    __tablename__ = "self_tests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.terminal_id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    report: Mapped[dict]


class TerminalAudit(Base):
    """What the server refused a terminal (out of scope, malformed): for operators and audits. No personal data."""

    __tablename__ = "terminal_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    terminal_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(20))  # push | heartbeat | self_test
    code: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(String(300), default="")


class RequestNonce(Base):
    """Nonces seen, shared by every server process on one database (PostgreSQL)."""

    __tablename__ = "request_nonces"
    terminal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class RateBucket(Base):
    """Token buckets shared by every server process (PostgreSQL): a terminal's rate across all of them."""

    __tablename__ = "rate_buckets"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)


class UploadLease(Base):
    """One row per push in flight over all server processes (PostgreSQL); expiring, so a killed process frees its."""

    __tablename__ = "upload_leases"
    lease: Mapped[str] = mapped_column(String(60), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float)


class ReturnCandidate(Base):
    """A county's list of return-to-hukou candidates (类别 回户籍), which its registration points pull. source:
    "authority" (uploaded by the county or above it: the county provided its list) or "school" (named on a school's
    roster with this hukou county)."""

    __tablename__ = "return_candidates"
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed HMAC (DataKeys.id_digest)
    entry: Mapped[str] = mapped_column(Text)  # sealed JSON: student_number, id_number, name, school_code
    source: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SchoolKey(Base):
    """One secret HMAC key per school for password fingerprints (central.keys.school_key), sealed at rest."""

    __tablename__ = "school_keys"
    school_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)  # sealed base64 of 32 bytes (DataKeys.seal_json)
    key_id: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PasswordFingerprint(Base):
    """The current password fingerprint of each record (HMAC-SHA256 of the password under its school's key; never
    the password): no two students of one school may share a password. `student` is the ID number's HMAC under the
    school key, so a terminal can skip its own student's entry."""

    __tablename__ = "password_fingerprints"
    __table_args__ = (Index("password_fingerprints_school", "school_code", "fingerprint"),)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_code: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(64))  # keyed HMAC (DataKeys.id_digest)
    student: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
