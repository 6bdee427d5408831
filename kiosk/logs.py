"""Structured (JSON lines) logging with personal data masked before any handler sees it.

Logs are English. The masking filter is a safety net, not a licence: it masks by pattern ID numbers (also spaced
or dashed), student numbers (学籍号: G + the ID number), mobile numbers (also +86 / 0086 / 86 prefixed, spaced or
dashed), every run of Han characters (names, addresses, schools) down to its first character, since no log message
of ours is Chinese by intent, and the same runs written as JSON escapes (backslash-u XXXX). Structured values go in
`extra={"fields": {...}}` and are masked the same way.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time

from kiosk.identity.mask import mask_text

HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]{2,}")
ESCAPED_RUN = re.compile(r"(?:\\u[0-9a-fA-F]{4}){2,}")  # "\u738b\u5c0f..." as JSON (ensure_ascii) writes it
STUDENT_NUMBER = re.compile(r"(?<![0-9A-Za-z])[Gg]\s?-?\d{17}[0-9Xx](?![0-9A-Za-z])")
SPACED_ID = re.compile(r"(?<![0-9A-Za-z])\d{6}[ -]\d{8}[ -]\d{3}[0-9Xx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_id(match: re.Match) -> str:
    text = match.group(0)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_all(text: str) -> str:
    text = ESCAPED_RUN.sub(lambda m: m.group(0)[:6] + "*" * ((len(m.group(0)) - 6) // 6), text)
    text = STUDENT_NUMBER.sub(_mask_id, text)
    text = SPACED_ID.sub(_mask_id, text)
    text = mask_text(text)
    text = PHONE.sub(_mask_phone, text)
    return HAN_RUN.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1), text)


def _mask_value(value):
    if isinstance(value, str):
        return mask_all(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Replaces the record's message and structured fields with masked text (runs before formatting)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_all(record.exc_text)
        record.msg, record.args = mask_all(message), ()
        if hasattr(record, "fields"):
            record.fields = _mask_value(record.fields)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def install_masking(handler: logging.Handler) -> logging.Handler:
    handler.addFilter(MaskingFilter())
    return handler


def configure_logging(level: str = "INFO", stream=None) -> None:
    """Root logger -> JSON lines on stderr (or stream), masked. Idempotent."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_kiosk", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._kiosk = True  # type: ignore[attr-defined]
    root.addHandler(install_masking(handler))
    root.setLevel(level.upper())
