"""ID numbers (GB 11643-1999) through python-stdnum: format, check digit, birth date, sex digit, region."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError


@dataclass(frozen=True)
class IdNumberCheck:
    valid: bool
    id_number: str
    birth_date: dt.date | None = None
    gender: str | None = None  # 男 / 女, from the sequence digit
    region: str | None = None  # advisory: GB/T 2260 name, even if the code was retired or not yet valid
    region_current: bool = False  # stdnum knows the code as valid in the birth year
    errors: list[str] = field(default_factory=list)  # Chinese, for people

    def as_json(self) -> dict:
        return {
            "valid": self.valid,
            "id_number": self.id_number,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "gender": self.gender,
            "region": self.region,
            "errors": list(self.errors),
        }


def region_name(number: str) -> tuple[str | None, bool]:
    """Region of the first six digits and whether it was a valid code in the birth year (advisory only)."""
    try:
        info = ric.get_birth_place(number)
        return (info.get("province", "") + info.get("county", "")) or None, True
    except ValidationError:
        pass
    parts = {k: v for _, props in numdb.get("cn/loc").info(number[:6]) for k, v in props.items()}
    if not parts:
        return None, False
    county = parts.get("county", "").split(",")[0]
    county = county.split("]", 1)[-1]
    return (parts.get("province", "") + county) or None, False


def check_id_number(raw: str, today: dt.date | None = None) -> IdNumberCheck:
    """Validate an 18-character resident ID number; errors are Chinese sentences a person can act on."""
    number = ric.compact(raw or "")
    if len(number) != 18:
        return IdNumberCheck(False, number, errors=[f"身份证号码应为18位，当前为{len(number)}位"])
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return IdNumberCheck(False, number, errors=["身份证号码格式不正确：前17位应为数字，最后一位为数字或X"])
    errors: list[str] = []
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        birth = None
        errors.append("身份证号码中的出生日期无效")
    if birth and birth > (today or dt.date.today()):
        errors.append("身份证号码中的出生日期晚于今天")
    if number[17] != ric.calc_check_digit(number):
        errors.append("身份证号码校验位不正确，请核对号码")
    gender = "男" if int(number[16]) % 2 else "女"
    region, current = region_name(number)
    return IdNumberCheck(not errors, number, birth, gender, region, current, errors)
