"""Progress and statistics in a scope: counts by state, category, day and school, the not-yet-registered list."""
from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central.models import Record, RosterEntry, School

from .models import RecordFlag, RosterDetail
from .records import Summary, cached, local_day, summary
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
    """(row, Summary) per row of ROW_COLUMNS; payloads are read only for records whose summary is not cached."""
    rows = list(rows)
    missing = [r.record_id for r in rows if cached(r) is None]
    for start in range(0, len(missing), 500):
        chunk = missing[start:start + 500]
        for full in session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state,
                                           Record.payload).where(Record.record_id.in_(chunk))):
            summary(full)
    return [(r, summary_of(session, r)) for r in rows]


def summary_of(session: Session, row) -> Summary:
    hit = cached(row)
    if hit is not None:
        return hit
    full = session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state,
                                  Record.payload).where(Record.record_id == row.record_id)).one()
    return summary(full)


def in_scope(scope: Scope):
    return select(*ROW_COLUMNS).where(scope.records(), live())


def not_started(scope: Scope):
    """Roster students of the scope with no live record of their ID number."""
    return select(RosterEntry, RosterDetail).outerjoin(
        RosterDetail, RosterDetail.student_number == RosterEntry.student_number).where(
        scope.roster(), RosterEntry.id_number.not_in(select(Record.id_number).where(live())))


def overview(session: Session, scope: Scope, days: int = 14) -> dict:
    by_state = collections.Counter()
    by_category = collections.Counter()
    by_day = collections.Counter()
    by_school = collections.defaultdict(collections.Counter)
    for row, s in summaries(session, session.execute(in_scope(scope))):
        by_state[row.state] += 1
        by_category[s.category] += 1
        by_day[local_day(row.received_at)] += 1
        by_school[row.school_code][row.state] += 1
        by_school[row.school_code]["registered"] += 1
    waiting = session.execute(select(RosterEntry.school_code, func.count()).where(
        scope.roster(), RosterEntry.id_number.not_in(select(Record.id_number).where(live())))
        .group_by(RosterEntry.school_code)).all()
    for school_code, count in waiting:
        by_school[school_code]["not_started"] += count
        by_state["not_started"] += count
    names = dict(session.execute(select(School.code, School.name).where(School.code.in_(list(by_school)))).all())
    today = local_day(dt.datetime.now(dt.timezone.utc))
    day_list = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    return {
        "states": [(STATE_LABELS[s], by_state.get(s, 0)) for s in STATES],
        "categories": sorted(by_category.items()),
        "days": [(d.strftime("%m-%d"), by_day.get(d, 0)) for d in day_list],
        "schools": sorted(({"code": code, "name": names.get(code, code), **counts}
                           for code, counts in by_school.items()), key=lambda r: r["code"]),
        "total": sum(v for k, v in by_state.items() if k != "not_started"),
        "not_started": by_state.get("not_started", 0),
    }
