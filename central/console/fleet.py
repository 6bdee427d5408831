"""The terminals of a scope: heartbeat, online or silent, peripherals, outbox, clock skew, today's registrations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central import terminals as enrollment
from central.models import Record, School, Terminal, utcnow

from .accounts import aware
from .scope import Scope

HEALTHY = {"ok", "ready", "idle", "online", "正常", "就绪"}


@dataclass(frozen=True)
class FleetRow:
    terminal: Terminal
    school_name: str
    online: bool
    silent_s: int | None
    skew_s: float | None
    today: int
    devices: list[tuple[str, str, bool]]  # name, state, healthy
    problems: list[str]

    @property
    def healthy(self) -> bool:
        return self.online and not self.problems and all(ok for _, _, ok in self.devices)


def start_of_today() -> dt.datetime:
    from zoneinfo import ZoneInfo

    local = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(dt.UTC)


def fleet(session: Session, scope: Scope, online_s: int) -> list[FleetRow]:
    """Clock skew: the one central records on each accepted heartbeat (terminals.clock_skew_s)."""
    now = utcnow()
    today = dict(session.execute(select(Record.terminal_id, func.count()).where(
        Record.received_at >= start_of_today()).group_by(Record.terminal_id)).all())
    names = dict(session.execute(select(School.code, School.name)).all())
    rows = []
    for t in session.scalars(select(Terminal).where(scope.terminals()).order_by(Terminal.county_code,
                                                                                Terminal.school_code)):
        silent = int((now - aware(t.last_seen_at)).total_seconds()) if t.last_seen_at else None
        online = t.revoked_at is None and silent is not None and silent <= online_s
        devices = [(name, str(state), str(state).lower() in HEALTHY)
                   for name, state in sorted((t.peripherals or {}).items())]
        problems = []
        skew = None if t.clock_skew_s is None else round(t.clock_skew_s, 1)
        if skew is not None and abs(skew) > 60:
            problems.append(f"时钟偏差 {skew:+.0f} 秒")
        rows.append(FleetRow(t, names.get(t.school_code, ""), online, silent, skew, today.get(t.terminal_id, 0),
                             devices, problems))
    return rows


def terminal_in_scope(session: Session, scope: Scope, terminal_id: str) -> Terminal | None:
    return session.scalar(select(Terminal).where(Terminal.terminal_id == terminal_id[:40], scope.terminals()))


def issue_code(session: Session, scope: Scope, role: str, code: str, county: str) -> str:
    """A one-time enrollment code for a terminal of a school or point in scope; '' when out of scope."""
    if role == "school":
        county = session.scalar(select(School.county_code).where(School.code == code)) or ""
        if not county or not (scope.covers_county(county) or scope == Scope("school", code)):
            return ""
    elif role != "point" or not scope.covers_county(county) or len(county) != 6 or not county.isdigit():
        return ""
    return enrollment.create_code(session, role, code, county)


def revoke(session: Session, terminal: Terminal) -> None:
    enrollment.revoke(session, terminal.terminal_id)
