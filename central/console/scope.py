"""What an operator may see: a role along the hierarchy and a scope code, as SQL conditions.

province 41, city 4114, county 411403 (prefixes of the county code); school: its school code; point: its point
code (the school_code its terminals enrolled with). A record belongs to a region through its school's county or
the county of the terminal that took it (return-to-hukou candidates at a designated point).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select

from central.models import Record, RosterEntry, School, Terminal

PREFIX_LENGTHS = {"province": 2, "city": 4, "county": 6}
RANK = {"province": 0, "city": 1, "county": 2, "school": 3, "point": 3}


def scope_problem(role: str, code: str) -> str:
    """Why (role, code) is not a valid scope, in Chinese, or ''."""
    if role not in RANK:
        return "角色应为 province、city、county、school 或 point"
    if role in PREFIX_LENGTHS:
        if not re.fullmatch(rf"\d{{{PREFIX_LENGTHS[role]}}}", code):
            return f"{role} 的范围代码应为{PREFIX_LENGTHS[role]}位数字"
    elif not re.fullmatch(r"[0-9A-Za-z-]{1,20}", code):
        return "学校或报名点代码应为1至20位字母或数字"
    return ""


@dataclass(frozen=True)
class Scope:
    role: str
    code: str

    @property
    def regional(self) -> bool:
        return self.role in PREFIX_LENGTHS

    def _prefix(self, column):
        return column.like(self.code + "%")

    def schools(self):
        """Condition on School."""
        if self.regional:
            return self._prefix(School.county_code)
        if self.role == "school":
            return School.code == self.code
        return false()

    def terminals(self):
        if self.regional:
            return self._prefix(Terminal.county_code)
        return and_(Terminal.school_code == self.code, Terminal.role == self.role)

    def records(self):
        """Condition on Record."""
        by_terminal = Record.terminal_id.in_(select(Terminal.terminal_id).where(self.terminals()))
        if self.regional:
            return or_(Record.school_code.in_(select(School.code).where(self.schools())), by_terminal)
        if self.role == "school":
            return Record.school_code == self.code
        return by_terminal

    def roster(self):
        """Condition on RosterEntry."""
        if self.role == "point":
            return false()
        return RosterEntry.school_code.in_(select(School.code).where(self.schools()))

    def covers_county(self, county_code: str) -> bool:
        return self.regional and county_code.startswith(self.code)

    def covers(self, other: Scope, county_of_other: str = "") -> bool:
        """Does this scope contain `other` (a scope at or below it)? county_of_other: the county of a school or
        point scope."""
        if self == other:
            return True
        if not self.regional or RANK[other.role] <= RANK[self.role]:
            return False
        if other.regional:
            return other.code.startswith(self.code)
        return bool(county_of_other) and county_of_other.startswith(self.code)

    def approves_for(self, county_code: str) -> bool:
        """An authority above a school: a county, city or province whose region holds the school's county."""
        return self.covers_county(county_code)
