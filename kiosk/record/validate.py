"""Field validation of a record against its policy, with Chinese messages keyed by field path."""
from __future__ import annotations

import datetime as dt
import re

from kiosk.policy import Policy

from .limits import GUARDIAN_LIMITS, STRING_LIMITS, STUDY_LIMITS
from .model import Record
from .text import name_problem, phone_problem, text_problem

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
STUDENT_NUMBER = re.compile(r"^[A-Z0-9]{6,32}$")
SCHOOL_CODE = re.compile(r"^[0-9A-Za-z]{4,20}$")
MAX_STUDY_ENTRIES = 7  # what one printed form page holds at the longest field lengths


def _month_index(value: str) -> int | None:
    m = MONTH.match(value)
    return int(m.group(1)) * 12 + int(m.group(2)) - 1 if m else None


def study_history_problems(entries, today: dt.date) -> dict[str, str]:
    """Reverse chronological, continuous months, no overlap or gap, the newest entry ending this month."""
    errors: dict[str, str] = {}
    if not entries:
        return {"study_history": "请填写学习简历"}
    if len(entries) > MAX_STUDY_ENTRIES:
        return {"study_history": f"学习简历最多填写{MAX_STUDY_ENTRIES}段，请合并同一学校的经历"}
    spans = []
    for i, e in enumerate(entries):
        key = f"study_history[{i}]"
        start, end = _month_index(e.start), _month_index(e.end)
        if start is None or end is None:
            errors[f"{key}.start" if start is None else f"{key}.end"] = "年月格式应为YYYY-MM，例如2021-09"
            continue
        if start > end:
            errors[f"{key}.end"] = "结束年月不能早于开始年月"
        for field, label, limit in (("school", "学校", STUDY_LIMITS["school"]), ("role", "任何职务", STUDY_LIMITS["role"]),
                                    ("witness", "证明人", STUDY_LIMITS["witness"])):
            problem = text_problem(getattr(e, field), label, limit)
            if problem:
                errors[f"{key}.{field}"] = problem
        spans.append((i, start, end))
    if errors:
        return errors
    current = today.year * 12 + today.month - 1
    if spans[0][2] != current:
        errors["study_history[0].end"] = "最近一段学习经历应截止到本月"
    for (i, start, _), (j, _, older_end) in zip(spans, spans[1:]):
        if older_end >= start:
            errors[f"study_history[{j}].end"] = "学习经历时间有重叠，请按时间从近到远填写且不重叠"
        elif older_end + 1 != start:
            errors[f"study_history[{j}].end"] = "学习经历之间有空档，各段时间应前后衔接"
    return errors


def validate_record(record: Record, policy: Policy, today: dt.date) -> dict[str, str]:
    """Every rule a complete record must meet before it can be submitted; empty when the record is valid."""
    errors: dict[str, str] = {}
    category = policy.category(record.category)
    if category is None:
        errors["category"] = f"{policy.year}年无此报考类别"
    if record.policy != policy.name:
        errors["policy"] = "采集政策与记录不一致"
    if category and category.roster_required:
        if not SCHOOL_CODE.match(record.school_code or ""):
            errors["school_code"] = "请选择学籍所在学校"
        if not STUDENT_NUMBER.match(record.student_number or ""):
            errors["student_number"] = "学籍号格式不正确（应为大写字母和数字）"
    if record.school_name:
        problem = text_problem(record.school_name, "学校名称", STRING_LIMITS["school_name"])
        if problem:
            errors["school_name"] = problem
    if not record.guardians:
        errors["guardians"] = "请至少填写一位监护人"
    if len(record.guardians) > 3:
        errors["guardians"] = "最多填写三位监护人"
    for i, g in enumerate(record.guardians):
        for field, problem in (
            ("name", name_problem(g.name, "监护人姓名")),
            ("phone", phone_problem(g.phone, "监护人电话", landline_ok=True)),
            ("work_unit", text_problem(g.work_unit, "工作单位", GUARDIAN_LIMITS["work_unit"], required=False)),
        ):
            if problem:
                errors[f"guardians[{i}].{field}"] = problem
    relations = [g.relation for g in record.guardians]
    for relation in ("父亲", "母亲"):
        if relations.count(relation) > 1:
            errors["guardians"] = f"“{relation}”只能填写一位"
    errors.update(study_history_problems(record.study_history, today))
    problem = phone_problem(record.contact_phone, "联系电话")
    if problem:
        errors["contact_phone"] = problem
    problem = text_problem(record.home_address, "家庭住址", STRING_LIMITS["home_address"])
    if problem:
        errors["home_address"] = problem
    for claim in record.claims:
        if category and claim not in category.claims:
            label = policy.claims.get(claim, claim)
            errors["claims"] = category.claims_refusal or f"{category.label}考生不能申报{label}"
    if not record.photo_sha256:
        errors["photo"] = "请拍摄照片"
    if not record.document_sha256:
        errors["document"] = "请扫描身份证"
    if not record.password_hash:
        errors["password"] = "请设置登录密码"
    return errors
