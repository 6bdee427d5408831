"""What a terminal may write: its role and enrollment scope against the record's policy, category and school.

- the record's policy and category must be known here, and the category must admit the terminal's role;
- a school terminal submits its own school's candidates only;
- a designated registration point submits candidates of schools in its county only (the county of a school is
  the schools table's, else the first six digits of a numeric school code); a candidate with no school (e.g. a
  social candidate) may register at a point.
Heartbeats and self-tests carry no scope of their own: they are stored under the signing terminal only (the body
cannot name another terminal), and a revoked terminal is refused before either.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.record import Record
from kiosk.wire import Rejection


@dataclass(frozen=True)
class TerminalScope:
    terminal_id: str
    role: str
    school_code: str
    county_code: str


def county_of(school_code: str, known: dict[str, str]) -> str | None:
    if school_code in known:
        return known[school_code]
    return school_code[:6] if len(school_code) >= 6 and school_code[:6].isdigit() else None


def scope_problem(terminal: TerminalScope, record: Record, policies: dict, counties: dict[str, str]
                  ) -> Rejection | None:
    policy = policies.get(record.policy)
    if policy is None:
        return Rejection("unknown_policy", "policy unknown to the server")
    category = policy.category(record.category)
    if category is None:
        return Rejection("unknown_category", "category unknown in its policy")
    if terminal.role not in category.roles:
        return Rejection("category_not_allowed", f"category {record.category} not open to {terminal.role} terminals")
    if terminal.role == "school" and record.school_code != terminal.school_code:
        return Rejection("other_school", "record of another school")
    if terminal.role == "point" and record.school_code and county_of(record.school_code,
                                                                     counties) != terminal.county_code:
        return Rejection("other_county", "record of a school in another county")
    return None
