"""Masking of personal data for logs and operator screens."""
import re


def mask_id(number: str) -> str:
    """4114031999...123X -> 4114**********123X (first four, last four)."""
    s = str(number)
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(name: str) -> str:
    """张三丰 -> 张**, keeps the first character only."""
    s = str(name)
    return s[:1] + "*" * (len(s) - 1) if s else s


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    s = str(phone)
    return s[:3] + "*" * (len(s) - 7) + s[-4:] if len(s) >= 11 else "*" * len(s)


# Patterns that look like personal data wherever they appear in free text (a log message, an exception).
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
PHONE_PATTERN = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Masks ID numbers and mobile numbers found in free text (names cannot be found by pattern)."""
    text = ID_PATTERN.sub(lambda m: mask_id(m.group(0)), text)
    return PHONE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)
