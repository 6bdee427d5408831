"""Text hygiene for every free-text field: refuse what cannot be printed or stored faithfully, with a Chinese reason.

Accepted: letters, marks, digits, punctuation, ordinary spaces and a few symbols (+ - / # etc.). Refused: control and
format characters (including RTL marks and zero-width joiners), private-use and unassigned code points, emoji and
other pictographs (the form's font has no glyph for them), and anything over the field's length.
"""
from __future__ import annotations

import re
import unicodedata

REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk", "Zl", "Zp"}

NAME_PATTERN = re.compile(r"^(?:[\u3400-\u9fff\U00020000-\U0002ffff][\u3400-\u9fff\U00020000-\U0002ffff·]{0,19}"
                          r"|[A-Za-z][A-Za-z .'\-]{0,49})$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PATTERN = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def text_problem(value: str, label: str, max_len: int, *, required: bool = True) -> str | None:
    """None when the text is acceptable as is; else the Chinese reason."""
    if not isinstance(value, str):
        return f"{label}格式不正确"
    if not value.strip():
        return f"请填写{label}" if required else None
    if len(value) > max_len:
        return f"{label}过长（最多{max_len}个字），请删减"
    if value != value.strip() or "  " in value:
        return f"{label}首尾或中间有多余空格，请删除"
    for ch in value:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            return f"{label}含有不能使用的字符（如表情符号或不可见字符），请删除后重新输入"
    return None


def name_problem(value: str, label: str) -> str | None:
    problem = text_problem(value, label, 50)
    if problem:
        return problem
    if not NAME_PATTERN.match(value):
        return f"{label}只能由汉字（可含“·”）或英文字母组成"
    return None


def phone_problem(value: str, label: str, *, landline_ok: bool = False) -> str | None:
    problem = text_problem(value, label, 20)
    if problem:
        return problem
    if MOBILE_PATTERN.match(value) or (landline_ok and LANDLINE_PATTERN.match(value)):
        return None
    return f"{label}应为11位手机号码" + ("或带区号的固定电话" if landline_ok else "")
