"""The registration's steps, their order, their prompts and which record fields each one validates (see
kiosk.session, the step machine that walks them)."""
from __future__ import annotations

import enum


class Step(str, enum.Enum):
    ATTRACT = "attract"
    REFUSED = "refused"  # eligibility said no (or stored data failed its check): reasons shown, back to attract
    IDENTITY = "identity"
    CATEGORY = "category"
    GUARDIANS = "guardians"
    HISTORY = "history"
    CONTACT = "contact"
    PHOTO = "photo"
    DOCUMENT = "document"
    REVIEW = "review"
    PASSWORD = "password"
    PRINT = "print"
    DONE = "done"
    PRINTED = "printed"  # the card of a printed, unsigned record: hand in the signed form, or reprint it


ORDER = [Step.IDENTITY, Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT, Step.PHOTO, Step.DOCUMENT,
         Step.REVIEW, Step.PASSWORD, Step.PRINT, Step.DONE]
# Where laying a card starts (or resumes) a registration; elsewhere a card belongs to someone mid-way.
CARD_STEPS = frozenset({Step.ATTRACT, Step.REFUSED, Step.DONE, Step.PRINTED})

# Which validation errors belong to which step (by field path prefix).
STEP_FIELDS = {
    Step.CATEGORY: ("category", "school_code", "school_name", "student_number", "claims", "policy"),
    Step.GUARDIANS: ("guardians",),
    Step.HISTORY: ("study_history",),
    Step.CONTACT: ("contact_phone", "home_address"),
    Step.PHOTO: ("photo",),
    Step.DOCUMENT: ("document",),
    Step.PASSWORD: ("password",),
}

PROMPTS = {
    Step.ATTRACT: "请将身份证放在感应区",
    Step.IDENTITY: "请核对身份证信息，无误后点击“下一步”",
    Step.CATEGORY: "请选择报考类别并核对学校信息",
    Step.GUARDIANS: "请填写监护人信息（先父亲、后母亲）",
    Step.HISTORY: "请填写学习简历（从最近的学校开始）",
    Step.CONTACT: "请填写本人联系电话和家庭住址",
    Step.PHOTO: "请正对摄像头，按提示调整位置",
    Step.DOCUMENT: "请将身份证正面朝上放在扫描区",
    Step.REVIEW: "请仔细核对全部信息",
    Step.PASSWORD: "请设置只有你自己知道的登录密码",
    Step.PRINT: "正在打印报名登记表",
    Step.DONE: "请与监护人核对并签字后，将登记表交给工作人员",
    Step.PRINTED: "已打印，请将签字的登记表交给工作人员",
}
