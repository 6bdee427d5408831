"""Progress and statistics in a scope: counts by state, category, day and school, the not-yet-registered list."""
from __future__ import annotations

import collections
import datetime as dt
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central.models import Record, RosterEntry, School

from .models import RecordFlag, RosterDetail
from .records import Summary, cached, keys_of, local_day, summary
from .scope import Scope

STATES = ("not_started", "draft", "submitted", "printed", "signed", "correction_requested")
STATE_LABELS = {"not_started": "未开始", "draft": "填写中", "submitted": "已提交", "printed": "已打印",
                "signed": "已签字确认", "correction_requested": "更正申请中"}
ROW_COLUMNS = (Record.record_id, Record.version, Record.content_hash, Record.state, Record.school_code,
               Record.received_at, Record.terminal_id)


def live():
    """Records not set aside by a conflict resolution."""
    return Record.record_id.not_in(select(RecordFlag.record_id))


def summaries(session: Session, rows) -> list[tuple[object, Summary]]:
    """(row, Summary) per row starting (record_id, version, content_hash, state); payloads are read only for
    records whose summary is not cached."""
    rows = list(rows)
    found = [cached(r) for r in rows]
    missing = [r[0] for r, hit in zip(rows, found) if hit is None]
    for start in range(0, len(missing), 500):
        for full in session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state,
                                           Record.payload).where(Record.record_id.in_(missing[start:start + 500]))):
            summary(full, keys_of(session))
    return [(r, hit or cached(r) or _reread(session, r)) for r, hit in zip(rows, found)]


def _reread(session: Session, row) -> Summary:
    """A record that changed between the two reads above."""
    return summary(session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state,
                                          Record.payload).where(Record.record_id == row[0])).one(),
                   keys_of(session))


def in_scope(scope: Scope):
    return select(*ROW_COLUMNS).where(scope.records(), live())


def not_started(scope: Scope):
    """Roster students of the scope with no live record of their ID number."""
    return select(RosterEntry, RosterDetail).outerjoin(
        RosterDetail, RosterDetail.student_number == RosterEntry.student_number).where(
        scope.roster(), RosterEntry.id_number.not_in(select(Record.id_number).where(live())))


def _local_day(dialect: str):
    """The Asia/Shanghai calendar day of received_at, in SQL (China has no daylight saving time)."""
    if dialect == "sqlite":
        return func.date(Record.received_at, "+8 hours")
    return func.date(func.timezone("Asia/Shanghai", Record.received_at))


FRESH_S = 15.0  # the dashboard's figures may be this old: a county's are recomputed at most this often


def recent_overview(session: Session, scope: Scope, memo: dict) -> dict:
    """overview(), reused for FRESH_S seconds per scope (at county scale a recount reads every record); memo is
    the server's (Console.recent)."""
    hit = memo.get(scope)
    if hit and time.monotonic() - hit[0] < FRESH_S:
        return hit[1]
    result = overview(session, scope)
    memo[scope] = (time.monotonic(), result)
    return result


def overview(session: Session, scope: Scope, days: int = 14) -> dict:
    """Counts in SQL where SQL can count; the category (inside the record's data) through the summary cache."""
    where = (scope.records(), live())
    by_state, by_school = collections.Counter(), collections.defaultdict(collections.Counter)
    for school_code, state, count in session.execute(select(Record.school_code, Record.state, func.count())
                                                     .where(*where).group_by(Record.school_code, Record.state)):
        by_state[state] += count
        by_school[school_code][state] += count
        by_school[school_code]["registered"] += count
    today = local_day(dt.datetime.now(dt.UTC))
    first = today - dt.timedelta(days=days - 1)
    day = _local_day(session.get_bind().dialect.name)
    by_day = {str(d): n for d, n in session.execute(select(day, func.count()).where(
        *where, Record.received_at >= dt.datetime.combine(first, dt.time()) - dt.timedelta(hours=8))
        .group_by(day))}
    rows = session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state)
                           .where(*where)).all()
    by_category = collections.Counter(s.category for _, s in summaries(session, rows))
    waiting = session.execute(select(RosterEntry.school_code, func.count()).where(
        scope.roster(), RosterEntry.id_number.not_in(select(Record.id_number).where(live())))
        .group_by(RosterEntry.school_code)).all()
    for school_code, count in waiting:
        by_school[school_code]["not_started"] += count
        by_state["not_started"] += count
    names = dict(session.execute(select(School.code, School.name).where(School.code.in_(list(by_school)))).all())
    day_list = [first + dt.timedelta(days=n) for n in range(days)]
    return {
        "states": [(STATE_LABELS[s], by_state.get(s, 0)) for s in STATES],
        "categories": sorted(by_category.items()),
        "days": [(d.strftime("%m-%d"), by_day.get(d.isoformat(), 0)) for d in day_list],
        "schools": sorted(({"code": code, "name": names.get(code, code), **counts}
                           for code, counts in by_school.items()), key=lambda r: r["code"]),
        "total": sum(v for k, v in by_state.items() if k != "not_started"),
        "not_started": by_state.get("not_started", 0),
        "as_of": dt.datetime.now(dt.UTC),
    }
