"""Terminal identity: one-time enrollment codes, enrollment, revocation, and what a terminal may pull."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.wire import EnrollRequest, EnrollResponse, RosterEntry as WireRoster, School as WireSchool, TakenPassword

from .keys import school_key
from .models import EnrollmentCode, PasswordFingerprint, ReturnCandidate, RosterEntry, School, Terminal, utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by a technician


class EnrollError(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode()).hexdigest()


def create_code(session: Session, role: str, school_code: str, county_code: str, ttl_hours: int = 72) -> str:
    if role not in ("school", "point"):
        raise ValueError("role must be school or point")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    session.add(EnrollmentCode(code_hash=_code_hash(raw), role=role, school_code=school_code,
                               county_code=county_code, expires_at=utcnow() + dt.timedelta(hours=ttl_hours)))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def enroll(session: Session, request: EnrollRequest) -> tuple[EnrollResponse, bool]:
    """Uses the code once; a resend by the same key (lost reply) gets the same answer. Returns (answer, created)."""
    code = session.get(EnrollmentCode, _code_hash(request.code), with_for_update=True)
    if code is None:
        raise EnrollError(403, "unknown enrollment code")
    if code.used_by:
        terminal = session.get(Terminal, code.used_by)
        if terminal and terminal.public_key == bytes(request.public_key) and not terminal.revoked_at:
            return _answer(terminal), False
        raise EnrollError(403, "enrollment code already used")
    if _aware(code.expires_at) < utcnow():
        raise EnrollError(403, "enrollment code expired")
    if session.scalar(select(Terminal).where(Terminal.public_key == bytes(request.public_key))):
        raise EnrollError(409, "public key already enrolled")
    terminal = Terminal(terminal_id=f"T-{code.county_code}-{secrets.token_hex(4).upper()}",
                        public_key=bytes(request.public_key), role=code.role, school_code=code.school_code,
                        county_code=code.county_code, app_version=request.app_version, peripherals={},
                        outbox_depth=0, last_sync_error="")
    session.add(terminal)
    session.flush()
    code.used_by = terminal.terminal_id
    return _answer(terminal), True


def revoke(session: Session, terminal_id: str) -> bool:
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        return False
    terminal.revoked_at = terminal.revoked_at or utcnow()
    return True


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite drops the offset


def _answer(terminal: Terminal) -> EnrollResponse:
    return EnrollResponse(terminal_id=terminal.terminal_id, role=terminal.role, school_code=terminal.school_code,
                          county_code=terminal.county_code)


def schools_for(session: Session, terminal: Terminal) -> list[WireSchool]:
    rows = session.scalars(select(School).where(School.county_code == terminal.county_code).order_by(School.code))
    return [WireSchool(code=s.code, name=s.name, county_code=s.county_code) for s in rows]


def roster_for(session: Session, terminal: Terminal, keys) -> list[WireRoster]:
    """School terminals get the students whose 学籍 is at their school; designated points get none."""
    if terminal.role != "school":
        return []
    rows = session.scalars(select(RosterEntry).where(RosterEntry.school_code == terminal.school_code))
    entries = [WireRoster(school_code=r.school_code, **json.loads(keys.open_json(r.name, r.student_number)))
               for r in rows]
    return sorted(entries, key=lambda e: e.student_number)


def returns_for(session: Session, terminal: Terminal, keys) -> tuple[list[WireRoster], bool]:
    """A designated point's return-to-hukou list: the candidates of its county (uploaded by the county or above
    it, or named with this hukou county on a school's roster), and whether the county provided its list itself
    (only then is a candidate not on it refused). School terminals get none."""
    if terminal.role != "point":
        return [], False
    rows = session.scalars(select(ReturnCandidate).where(ReturnCandidate.county_code == terminal.county_code)).all()
    entries = [WireRoster(**json.loads(keys.open_json(r.entry, f"return:{r.county_code}:{r.id_number}")))
               for r in rows]
    provided = any(r.source == "authority" for r in rows)
    return sorted(entries, key=lambda e: (e.student_number, e.id_number)), provided


def password_parts(session: Session, terminal: Terminal, keys) -> tuple[bytes | None, list[TakenPassword]]:
    """A school terminal's password check: its school's key (made on first use by ensure_school_key) and the
    fingerprints of the school's students' passwords, those of voided records left out (a voided registration
    frees its password). Designated points get none: the rule is per school."""
    if terminal.role != "school":
        return None, []
    key = school_key(session, keys, terminal.school_code)
    if key is None:
        return None, []
    rows = session.execute(select(PasswordFingerprint.student, PasswordFingerprint.fingerprint).where(
        PasswordFingerprint.school_code == terminal.school_code, PasswordFingerprint.record_id.not_in(voided()))
        .order_by(PasswordFingerprint.student, PasswordFingerprint.fingerprint).distinct())
    return key, [TakenPassword(student=s, fingerprint=f) for s, f in rows]


def ensure_school_key(session: Session, terminal: Terminal, keys) -> None:
    if terminal.role == "school":
        school_key(session, keys, terminal.school_code, create=True)


def voided():
    """Record ids an operator set aside (console conflict resolution): their passwords no longer count."""
    from .console.models import RecordFlag

    return select(RecordFlag.record_id).where(RecordFlag.status == "voided")


def load_returns(session: Session, rows: list[dict], keys) -> None:
    """Upserts return-to-hukou candidates: rows with return_county, return_source ("authority" or "school"),
    student_number, id_number, name and school_code ("" when outside the uploader's scope)."""
    for r in rows:
        digest = keys.id_digest(r["id_number"])
        entry = json.dumps({k: r[k] for k in ("student_number", "id_number", "name", "school_code")},
                           ensure_ascii=False)
        held = session.get(ReturnCandidate, (r["return_county"], digest))
        source = "authority" if r["return_source"] == "authority" or (held and held.source == "authority") \
            else "school"
        session.merge(ReturnCandidate(county_code=r["return_county"], id_number=digest, source=source,
                                      entry=keys.seal_json(entry, f"return:{r['return_county']}:{digest}"),
                                      updated_at=utcnow()))


def load_schools(session: Session, schools: list[dict], roster: list[dict] = (), keys=None) -> None:
    """Imports (upserts) schools and roster entries, e.g. from the provincial platform's export; names and ID
    numbers sealed with keys (central.records.DataKeys; default: the one the session factory carries)."""
    keys = keys or session.info["data_keys"]
    for s in schools:
        session.merge(School(code=s["code"], name=s["name"], county_code=s["county_code"]))
    session.flush()
    for r in roster:
        key = keys.id_digest(r["student_number"])[:40]  # the 学籍号 is G + the ID number: personal data too
        sealed = keys.seal_json(json.dumps({k: r[k] for k in ("student_number", "id_number", "name")},
                                           ensure_ascii=False), key)
        session.merge(RosterEntry(student_number=key, id_number=keys.id_digest(r["id_number"]), name=sealed,
                                  school_code=r["school_code"]))
