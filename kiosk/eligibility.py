"""May this student register here and now? Calendar window, terminal role, school roster, the county's
return-to-hukou list at a designated point, card validity, duplicates.

Every refusal is a Chinese sentence that tells the student where to go or what to do.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.identity import IdentityCard
from kiosk.policy import Policy, window_status


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    role: str  # "school" or "point"
    school_code: str = ""  # school terminals: the school whose students it accepts
    county_code: str = ""


@dataclass(frozen=True)
class RosterEntry:
    school_code: str
    student_number: str  # 学籍号
    grade: int | None = None


class RosterTable(dict):
    """A Roster held in memory, by ID number (e.g. built from the roster pulled from the central server)."""

    def lookup(self, id_number: str) -> RosterEntry | None:
        return self.get(id_number)


class Roster(Protocol):
    def lookup(self, id_number: str) -> RosterEntry | None: ...

    # optional (kiosk.terminal.PulledConfig): (the county provided its return-to-hukou list, the student's entry)
    # def return_candidate(self, id_number: str) -> tuple[bool, RosterEntry | None]: ...


RETURN_HUKOU = "return_hukou"  # the policies' category code for 回户籍所在地报考
NOT_ON_RETURN_LIST = ("你不在本县（区）回户籍报考考生名单中，本报名点不能为你采集信息。请到学籍所在学校咨询班主任，"
                      "或联系户籍所在县（区）教育行政部门核实名单后再来")


class NoDuplicates(Protocol):
    def find_by_id_number(self, id_number: str) -> list: ...


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    problems: list[str] = field(default_factory=list)
    roster_entry: RosterEntry | None = None


def check_eligibility(card: IdentityCard, policy: Policy, category: str, terminal: Terminal, now: dt.datetime,
                      roster: Roster | None = None, records: NoDuplicates | None = None) -> Eligibility:
    problems = list(card.problems(now.astimezone(policy.tz).date()))
    status = window_status(policy, terminal.role, category, now)
    if not status.open:
        problems.append(status.reason)
    entry = None
    cat = policy.category(category)
    if cat is not None and cat.roster_required and terminal.role == "school":
        entry = roster.lookup(card.id_number) if roster else None
        if entry is None or entry.school_code != terminal.school_code:
            problems.append("本校终端只能为学籍在本校的学生采集信息，请到学籍所在学校采集或咨询老师")
    if category == RETURN_HUKOU and terminal.role == "point" and hasattr(roster, "return_candidate"):
        provided, entry = roster.return_candidate(card.id_number)  # its 学籍号 goes on the record
        if entry is None and provided:  # no list from the county: anyone may register here, as before
            problems.append(NOT_ON_RETURN_LIST)
    if records is not None:
        existing = [r for r in records.find_by_id_number(card.id_number)
                    if r.policy == policy.name]
        if any(r.locked for r in existing):
            problems.append("你的报名信息已签字确认，不能重复采集；如需更正请联系学校或报名点")
    return Eligibility(not problems, problems, entry)
