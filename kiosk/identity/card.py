"""The identity read from a second-generation ID card chip (GA 467), for every layout the reader returns."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass, field

from .codes import ethnicity_name, gender_name
from .number import check_id_number

LONG_TERM = "长期"


class CardType(str, enum.Enum):
    RESIDENT = "resident"  # 居民身份证 (type character space or NUL)
    HK_MO_TW_PERMIT = "hk_mo_tw_permit"  # 港澳台居民居住证 ('J')
    FOREIGN_2017 = "foreign_2017"  # 外国人永久居留身份证, 2017 layout ('I')
    FOREIGN_2023 = "foreign_2023"  # 外国人永久居留身份证, 2023 layout ('Y')
    HOUSEHOLD_REGISTER = "household_register"  # no card: 户口簿 page, fields typed and verified by an operator

    @property
    def label(self) -> str:
        return {
            "resident": "居民身份证",
            "hk_mo_tw_permit": "港澳台居民居住证",
            "foreign_2017": "外国人永久居留身份证",
            "foreign_2023": "外国人永久居留身份证",
            "household_register": "居民户口簿",
        }[self.value]


@dataclass(frozen=True)
class IdentityCard:
    """Every field of the three chip layouts. Dates are dates; valid_until None means 长期 (never expires)."""

    card_type: CardType
    name: str  # Chinese name (for 'I' cards possibly empty)
    gender_code: str
    birth_date: dt.date
    id_number: str  # resident/J: 18-digit number; I: 15-char card number; Y: 18-char number starting 9
    valid_from: dt.date
    valid_until: dt.date | None
    ethnicity_code: str = ""  # resident and J
    address: str = ""  # resident and J
    authority: str = ""  # resident and J: 签发机关
    permit_number: str = ""  # J: 通行证号码
    issue_count: str = ""  # J: 签发次数
    english_name: str = ""  # I and Y (Y: parts 1 and 2 joined)
    nationality: str = ""  # I and Y: GB/T 2659 three-letter code
    card_version: str = ""  # I
    authority_code: str = ""  # I: 受理机关代码
    renewal_count: str = ""  # Y: 换证次数
    previous_number_link: str = ""  # Y: 既往版本证件号码关联项
    photo_wlt: bytes = field(default=b"", repr=False)  # 1024 bytes, vendor-compressed; opaque
    fingerprint: bytes = field(default=b"", repr=False)

    @property
    def gender(self) -> str:
        return gender_name(self.gender_code)

    @property
    def ethnicity(self) -> str:
        return ethnicity_name(self.ethnicity_code) if self.ethnicity_code else ""

    def as_json(self) -> dict:
        """Plain JSON view (the CLI's and the wire's): dates YYYY-MM-DD, valid_until '长期' when long-term."""
        data = asdict(self)
        data.pop("photo_wlt")
        data.pop("fingerprint")
        data["card_type"] = self.card_type.value
        data["gender"] = self.gender
        data["ethnicity"] = self.ethnicity
        data["birth_date"] = self.birth_date.isoformat()
        data["valid_from"] = self.valid_from.isoformat()
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else LONG_TERM
        data["has_photo"] = bool(self.photo_wlt)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "IdentityCard":
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["card_type"] = CardType(values.get("card_type", "resident"))
        values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
        values["valid_from"] = dt.date.fromisoformat(values["valid_from"])
        until = values.get("valid_until")
        values["valid_until"] = None if until in (None, LONG_TERM, "") else dt.date.fromisoformat(until)
        for blob in ("photo_wlt", "fingerprint"):
            values[blob] = bytes.fromhex(values[blob]) if isinstance(values.get(blob), str) else values.get(blob, b"")
        return cls(**values)

    def problems(self, today: dt.date) -> list[str]:
        """Cross-checks of the chip's fields against the number and the calendar, as Chinese sentences."""
        found: list[str] = []
        if self.valid_until is not None and self.valid_until < today:
            found.append(f"证件已于{self.valid_until:%Y年%m月%d日}过期，请使用有效证件")
        if self.valid_from > today:
            found.append("证件有效期起始日期晚于今天，请核对证件")
        if self.card_type in (CardType.RESIDENT, CardType.HK_MO_TW_PERMIT, CardType.FOREIGN_2023,
                              CardType.HOUSEHOLD_REGISTER):
            check = check_id_number(self.id_number, today)
            found.extend(check.errors)
            if check.valid and self.card_type is not CardType.FOREIGN_2023:
                if check.birth_date != self.birth_date:
                    found.append("芯片中的出生日期与身份证号码不一致")
                if self.gender in ("男", "女") and check.gender != self.gender:
                    found.append("芯片中的性别与身份证号码不一致")
        if self.card_type is CardType.HK_MO_TW_PERMIT and self.id_number[:2] not in ("81", "82", "83"):
            found.append("港澳台居民居住证号码应以81、82或83开头")
        if self.card_type is CardType.FOREIGN_2023 and not self.id_number.startswith("9"):
            found.append("外国人永久居留身份证号码应以9开头")
        return found
