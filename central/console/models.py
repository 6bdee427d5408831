"""The console's tables, on the central Base (made by migration 0003_console)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central.models import Base, utcnow

ROLES = ("province", "city", "county", "school", "point")
ROLE_LABELS = {"province": "省级", "city": "市级", "county": "县（区）级", "school": "学校", "point": "报名点"}


class User(Base):
    __tablename__ = "console_users"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(10))
    scope_code: Mapped[str] = mapped_column(String(20))  # 41 | 4114 | 411403 | school code | point code
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OperatorSession(Base):
    __tablename__ = "console_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    """Who did what, when, to what, with before/after (never passwords)."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("console_audit_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100), default="")
    before: Mapped[str] = mapped_column(Text, default="")  # JSON, through records.seal()
    after: Mapped[str] = mapped_column(Text, default="")


class RosterDetail(Base):
    """What the 学籍 roster says beyond central's roster table (which terminals pull)."""

    __tablename__ = "console_roster_details"
    student_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    gender: Mapped[str] = mapped_column(String(2))
    class_name: Mapped[str] = mapped_column(String(50), default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    import_id: Mapped[int | None]


class RosterImport(Base):
    """An uploaded roster between preview and apply."""

    __tablename__ = "console_roster_imports"
    import_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"))
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="preview")  # preview | applied | discarded
    rows: Mapped[str] = mapped_column(Text)  # sealed JSON: the valid rows
    summary: Mapped[dict] = mapped_column(default=dict)  # counts and row errors (no personal data)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Review(Base):
    """An eligibility or 分配生 audit of one record."""

    __tablename__ = "console_reviews"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # eligibility | allocation
    status: Mapped[str] = mapped_column(String(10))  # approved | issues
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SchoolReview(Base):
    """The county's review of one school's audit results."""

    __tablename__ = "console_school_reviews"
    school_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # approved | issues
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecordFlag(Base):
    """A record set aside by a conflict resolution (excluded from statistics and export)."""

    __tablename__ = "console_record_flags"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # voided
    reason: Mapped[str] = mapped_column(Text)
    conflict_id: Mapped[int | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConflictResolution(Base):
    __tablename__ = "console_conflict_resolutions"
    conflict_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))  # keep_held | keep_incoming | keep_both | reject
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CorrectionRequest(Base):
    """A change to a signed record: requested by the school, decided by an authority above it."""

    __tablename__ = "console_corrections"
    correction_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    school_code: Mapped[str] = mapped_column(String(20), index=True)
    from_version: Mapped[int]
    to_version: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[str] = mapped_column(Text)  # sealed JSON of the changed fields
    after: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected | withdrawn
    requested_by: Mapped[int] = mapped_column(ForeignKey("console_users.user_id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("console_users.user_id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    # the approved correction on its way to the record's terminal (config pull, then its acknowledgement)
    delivered_at: Mapped[dt.datetime | None]
    delivery: Mapped[str] = mapped_column(String(10), default="")  # "" | applied | refused
    delivery_code: Mapped[str] = mapped_column(String(20), default="")  # kiosk.wire.RefusalCode when refused


class AttachmentCheck(Base):
    """Result of checking one JPEG against a policy's spec; content-addressed, so it never goes stale."""

    __tablename__ = "console_attachment_checks"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[str] = mapped_column(String(40), primary_key=True)  # policy name + photo|document
    problem: Mapped[str] = mapped_column(String(200), default="")
