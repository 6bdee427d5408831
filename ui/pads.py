"""The keyboard's numeric pads: their keys and the typing rules of each (phone numbers, dates, ID numbers).

A pad is rows of (label, key, weight) on a 3-column grid. Typing rules are pure functions of the field's text,
so they are tested without a window.
"""
from __future__ import annotations

BACKSPACE = "删除"  # U+232B is not in WQY MicroHei (it showed as a box)
CONFIRM = "确定"

PADS = ("numeric", "phone", "id", "month", "date")
MAX_LENGTH = {"phone": 13, "id": 18, "month": 7, "date": 10}  # 0370-12345678; YYYY-MM; YYYY-MM-DD
DASH_AFTER = {"month": (4,), "date": (4, 7)}  # a "-" typed for the student after the year (and the month)
CAPTION = {"phone": "手机号或带区号的固定电话", "month": "年份和月份，如：202109", "date": "年月日，如：20090315",
           "id": "身份证号码，末位可为 X", "numeric": ""}


def rows(pad: str) -> list[list[tuple[str, str, float]]]:
    """The key rows of a pad; the blank cell ('blank') is kept for alignment and hidden."""
    last = {"id": ("X", "X"), "phone": ("-", "-")}.get(pad, ("", "blank"))
    grid = [[(d, d, 1) for d in triple] for triple in ("123", "456", "789")]
    grid.append([(last[0], last[1], 1), ("0", "0", 1), (BACKSPACE, "backspace", 1)])
    grid.append([(CONFIRM, "confirm", 3)])
    return grid


def typed(pad: str, text: str, key: str) -> str:
    """The field's text after `key` (a digit, "X", "-") on `pad`: over-long input refused, dashes of dates put in."""
    limit = MAX_LENGTH.get(pad)
    if limit is not None and len(text) >= limit:
        return text
    if pad in DASH_AFTER and key == "-":
        return text
    text += key
    if len(text) in DASH_AFTER.get(pad, ()) and len(text) < MAX_LENGTH[pad]:
        text += "-"
    return text


def erased(pad: str, text: str) -> str:
    """The field's text after 删除: a date's automatic dash goes with the digit before it."""
    dated = pad in DASH_AFTER
    if dated and text.endswith("-"):
        text = text[:-1]
    text = text[:-1]
    return text[:-1] if dated and text.endswith("-") else text
