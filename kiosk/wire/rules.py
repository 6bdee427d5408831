"""Push rules shared by terminal and server: field limits, content checks, JPEG headers, lifecycle order.

Every problem is a Rejection: a stable code (for programs), a Chinese message (for the operator) and English
detail (for logs, never personal data). The limits follow what the registration form can print.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from kiosk.record import TRANSITIONS, Record, RecordState
from kiosk.record.limits import (CLAIM_LIMIT, GUARDIAN_LIMITS, IDENTITY_KEYS, IDENTITY_LIMIT, LIST_LIMITS,
                                 STRING_LIMITS, STUDY_LIMITS)

# Chinese messages by code: the terminal shows these to the operator next to the kept record.
MESSAGES = {
    "malformed": "记录格式不正确，请联系技术人员",
    "field_too_long": "记录中有内容超出允许长度，请核对后重新提交",
    "id_number_invalid": "身份证号码校验位不正确，请核对证件",
    "naive_time": "记录时间缺少时区，请联系技术人员",
    "attachment_missing": "照片或证件图片未随记录上传，请重新采集",
    "attachment_invalid": "照片或证件图片不符合规格（须为规定尺寸、分辨率和大小的 JPEG）",
    "unknown_policy": "服务器不认识该报名政策，请更新终端配置",
    "unknown_category": "报名类别不存在，请更新终端配置",
    "category_not_allowed": "本终端不能受理该报名类别",
    "other_school": "学校采集终端只能提交本校考生的信息",
    "other_county": "报名点只能提交本县区考生的信息",
    "password_reused": "该密码过于常见或已被他人使用，请考生换一个密码后重新提交",
}


@dataclass(frozen=True)
class Rejection:
    code: str
    detail: str  # English, for logs

    @property
    def message(self) -> str:
        return MESSAGES[self.code]


# -- field limits: kiosk/record/limits.py (shared with the kiosk's validation) --------------------------------
BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # NUL and controls (PostgreSQL text holds no NUL)
ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
SCHOOL_CODE = re.compile(r"[0-9A-Za-z-]{0,20}")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_VERSION = 1_000_000


def _strings(record: Record):
    """(label, value, limit) for every string of the record."""
    for name, limit in STRING_LIMITS.items():
        yield name, getattr(record, name), limit
    for key, value in _identity(record).items():
        yield f"identity.{str(key)[:20]}", str(key), 32
        if value is not None and not isinstance(value, (str, bool, int)):
            yield f"identity.{key}", "x" * (IDENTITY_LIMIT + 1), IDENTITY_LIMIT  # nested values are not chip data
        elif isinstance(value, str):
            yield f"identity.{key}", value, IDENTITY_LIMIT
    for g in record.guardians:
        for name, limit in GUARDIAN_LIMITS.items():
            yield f"guardians.{name}", getattr(g, name), limit
    for s in record.study_history:
        for name, limit in STUDY_LIMITS.items():
            yield f"study_history.{name}", getattr(s, name), limit
    for claim in record.claims:
        yield "claims", claim, CLAIM_LIMIT


def _identity(record: Record) -> dict:
    """The chip's fields as the wire carries them (the typed Identity's JSON, extra keys included)."""
    return dict(record.identity)  # the typed Identity reads as a mapping; a record built without validation holds a dict


def field_problem(record: Record) -> Rejection | None:
    if len(_identity(record)) > IDENTITY_KEYS:
        return Rejection("field_too_long", f"identity: more than {IDENTITY_KEYS} fields")
    for name, limit in LIST_LIMITS.items():
        if len(getattr(record, name)) > limit:
            return Rejection("field_too_long", f"{name}: more than {limit} entries")
    for label, value, limit in _strings(record):
        if len(value) > limit:
            return Rejection("field_too_long", f"{label}: longer than {limit} characters")
        if BAD_CHARS.search(value):
            return Rejection("malformed", f"{label}: control characters")
    return None


def id_number_valid(number: str) -> bool:
    """GB 11643 check digit and a real birth date, through python-stdnum. The region is not checked: codes retire
    and a valid card may carry an old one (kiosk.identity.number treats the region as advisory too)."""
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return False
    return ID_NUMBER.fullmatch(number) is not None and ric.calc_check_digit(number) == number[-1]


def push_problem(record: Record) -> Rejection | None:
    """Why the server cannot take this record as it is, or None. The terminal runs the same checks."""
    if record.state == RecordState.DRAFT:
        return Rejection("malformed", "drafts are not pushed")
    if record.updated_at.tzinfo is None or record.created_at.tzinfo is None:
        return Rejection("naive_time", "created_at/updated_at without a timezone")
    problem = field_problem(record)
    if problem:
        return problem
    id_number = record.identity.get("id_number")
    if not isinstance(id_number, str) or not ID_NUMBER.fullmatch(id_number):
        return Rejection("malformed", "identity.id_number missing or malformed")
    if not id_number_valid(id_number):
        return Rejection("id_number_invalid", "identity.id_number check digit or birth date wrong")
    if not SCHOOL_CODE.fullmatch(record.school_code):
        return Rejection("malformed", "school_code malformed")
    if not 1 <= record.version <= MAX_VERSION or not 0 <= record.print_count <= MAX_VERSION:
        return Rejection("malformed", "version or print_count out of range")
    if any(sha and not SHA256.fullmatch(sha) for sha in (record.photo_sha256, record.document_sha256)):
        return Rejection("malformed", "attachment hash malformed")
    if record.password_fingerprint and not SHA256.fullmatch(record.password_fingerprint):
        return Rejection("malformed", "password fingerprint malformed")
    return None


# -- JPEG attachments, header first ------------------------------------------------------------------------------
def jpeg_problem(data: bytes, spec) -> str:
    """'' when data is a JPEG of spec's width x height, JFIF density >= spec.min_dpi and <= spec.max_bytes. Only the
    headers are parsed (Pillow opens lazily: nothing is decoded), and the size is checked before anything."""
    if len(data) > spec.max_bytes:
        return f"{len(data)} bytes, more than {spec.max_bytes}"
    if data[:3] != b"\xff\xd8\xff":
        return "not a JPEG"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            size, info = image.size, image.info
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return "JPEG headers unreadable"
    if size != (spec.width, spec.height):
        return f"{size[0]}x{size[1]}, expected {spec.width}x{spec.height}"
    if info.get("jfif_unit") != 1 or min(info.get("jfif_density", (0, 0))) < spec.min_dpi:
        return f"JFIF density below {spec.min_dpi} dpi"
    return ""


# -- lifecycle order ---------------------------------------------------------------------------------------------
def _successors() -> dict[RecordState, set[RecordState]]:
    """States reachable within one version (revise and corrections start a new version)."""
    step = {s: set() for s in RecordState}
    for action, (sources, target) in TRANSITIONS.items():
        if action in ("revise", "approve_correction", "correct"):
            continue
        for source in sources:
            step[source].add(target)
    reach = {}
    for start in RecordState:
        seen, todo = set(), [start]
        while todo:
            for nxt in step[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        reach[start] = seen
    return reach


_REACHABLE = _successors()


def is_progress(held: Record, incoming: Record) -> bool:
    """Same version and content: is `incoming` a later point of the lifecycle than `held` (a reprint counts)?

    Decided by the lifecycle order, not by clocks. The one cycle (signed -> correction requested -> correction
    refused -> signed) cannot be ordered by state alone: there only, the two moments of the same terminal's clock
    decide (and both must be timezone-aware)."""
    if incoming.state == held.state:
        return incoming.print_count > held.print_count
    forward = incoming.state in _REACHABLE[held.state]
    if forward and held.state in _REACHABLE[incoming.state]:  # the correction cycle
        aware = incoming.updated_at.tzinfo is not None and held.updated_at.tzinfo is not None
        return aware and incoming.updated_at > held.updated_at
    return forward


def utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
