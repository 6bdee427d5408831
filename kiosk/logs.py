"""Structured (JSON lines) logging with personal data masked before any handler sees it.

Logs are English. The masking filter is a safety net, not a licence: it masks ID numbers and mobile numbers by
pattern, and every run of Han characters (names, addresses, schools) down to its first character, since no log
message of ours is Chinese by intent. Structured values go in `extra={"fields": {...}}` and are masked the same way.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time

from kiosk.identity.mask import mask_text

HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]{2,}")


def mask_all(text: str) -> str:
    return HAN_RUN.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1), mask_text(text))


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
