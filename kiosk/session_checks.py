"""Checks the registration session runs beyond the form's own rules: what central would reject a record for (its
push checks, kiosk.wire.push_problem), said as the step to go back to, and the match of the saved photo to the
portrait on the scanned ID card. Pure functions of their inputs; the session (kiosk.session) calls them."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.record import Record, RecordState
from kiosk.steps import STEP_FIELDS, Step

if TYPE_CHECKING:  # the session needs only their attributes, not OpenCV or MediaPipe
    from kiosk.photo import FaceMatch

log = logging.getLogger(__name__)

# The data steps as the student knows them, for what central would reject (kiosk.wire.push_problem) in a step.
SECTIONS = {Step.CATEGORY: "报考信息", Step.GUARDIANS: "监护人信息", Step.HISTORY: "学习简历",
            Step.CONTACT: "联系方式", Step.PHOTO: "照片", Step.DOCUMENT: "证件图像"}


def server_errors(record: Record) -> dict[str, str]:
    """What central would reject this record for once submitted (the server's own push checks), as a Chinese
    error under the field it names, saying which step to go back to; {} when central would take it."""
    from kiosk.wire import push_problem

    rejection = push_problem(record.model_copy(update={"state": RecordState.SUBMITTED}))
    if rejection is None:
        return {}
    log.warning("record would be rejected by central", extra={"fields": {"code": rejection.code,
                                                                         "detail": rejection.detail}})
    name = rejection.detail.split(":", 1)[0].split(".", 1)[0]  # "guardians.name: longer than 50 characters"
    step = next((s for s, prefixes in STEP_FIELDS.items() if s in SECTIONS and name.startswith(prefixes)), None)
    if name == "identity":
        return {"identity": "身份证信息超出登记表允许的长度，请联系工作人员"}
    if step is None or rejection.code not in ("field_too_long", "malformed"):
        return {name or "record": rejection.message}
    problem = "内容过长" if rejection.code == "field_too_long" else "含有无法识别的字符"
    return {name: f"{SECTIONS[step]}中有{problem}，请返回“{SECTIONS[step]}”修改"}


def match_faces(matcher: Callable[[bytes, bytes], FaceMatch], photo: bytes, document: bytes) -> FaceMatch:
    """The matcher's verdict on the photo and the scanned card; a matcher that fails gives "unavailable" with the
    no-face warning (for the staff to check, never the student's stop)."""
    try:
        return matcher(photo, document)
    except Exception as exc:  # noqa: BLE001 - a failed match is for the staff to check, never the student's stop
        from kiosk.photo.match import WARNING_NO_FACE, FaceMatch

        log.warning("face match failed", extra={"fields": {"error": type(exc).__name__}})
        return FaceMatch(None, "unavailable", None, None, WARNING_NO_FACE)
