"""The verdicts: which measures of an Analysis refuse (problems) and which pass with an operator warning."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .problems import Problem, problem, warning
from .thresholds import Thresholds

if TYPE_CHECKING:
    from .analysis import Analysis


def quality_problems(a: "Analysis", t: Thresholds, *, photo: bool = False) -> list[Problem]:
    """Pose, expression, hair, light, sharpness, colour and backdrop: the same for a frame and a finished photo,
    except roll (a frame is turned upright up to max_roll_correct_deg; a finished photo must be upright)."""
    out = []
    if abs(a.yaw) > t.max_yaw_deg:
        out.append(problem("turned"))
    if abs(a.roll_deg) > (t.max_roll_deg if photo else t.max_roll_correct_deg):
        out.append(problem("tilted"))
    if a.pitch > t.max_pitch_deg:
        out.append(problem("head_down"))
    elif a.pitch < -t.max_pitch_deg:
        out.append(problem("head_up"))
    if a.eye_open < t.min_eye_open:
        out.append(problem("eyes_closed"))
    elif abs(a.gaze) > t.max_gaze:
        out.append(problem("gaze"))
    if a.lip_gap > t.max_lip_gap or a.teeth > t.max_teeth:
        out.append(problem("mouth_open"))
    if a.fringe > t.max_fringe:
        out.append(problem("fringe"))
    if a.others > t.max_others:
        out.append(problem("other_person"))
    if not a.background or a.background["blue"] < t.min_blue or a.background["std"] > t.max_background_std:
        out.append(problem("background"))
    if a.face_luma < t.face_luma[0]:
        out.append(problem("too_dark"))
    elif a.face_luma > t.face_luma[1] or a.clipped > t.max_clipped:
        out.append(problem("too_bright"))
    if not t.cheek_ratio[0] <= a.cheek_ratio <= t.cheek_ratio[1]:
        out.append(problem("uneven_light"))
    if a.sharpness < t.min_sharpness:
        out.append(problem("blurry"))
    if a.saturation < t.min_saturation:
        out.append(problem("not_color"))
    return out


def quality_warnings(a: "Analysis", t: Thresholds) -> list[Problem]:
    """Measures inside their refusing limit but in the uncertain band: named for the operator."""
    if a.faces != 1 or a.landmarks is None:
        return []
    out = []
    if t.min_eye_open <= a.eye_open < t.warn_eye_open:
        out.append(warning("eyes_closed"))
    if t.warn_yaw_deg < abs(a.yaw) <= t.max_yaw_deg:
        out.append(warning("turned"))
    if t.warn_gaze < abs(a.gaze) <= t.max_gaze:
        out.append(warning("gaze"))
    if a.lip_gap <= t.max_lip_gap and t.warn_teeth < a.teeth <= t.max_teeth:
        out.append(warning("mouth_open"))
    if a.fringe <= t.max_fringe and a.fringe_any > t.warn_fringe:
        out.append(warning("fringe"))
    if a.top_ratio > t.warn_top_ratio or a.head_colour > t.warn_head_colour:
        out.append(warning("headwear"))
    if a.glare > t.warn_glare:
        out.append(warning("glare"))
    if a.clutter > t.warn_clutter:
        out.append(warning("clutter"))
    return out


def frame_problems(a: "Analysis", t: Thresholds) -> list[Problem]:
    """Problems of a camera frame: can a compliant photo be cut from it? Framing first, then quality."""
    return framing_problems(a, t) + quality_problems(a, t)


def framing_problems(a: "Analysis", t: Thresholds) -> list[Problem]:
    """Is the photo rectangle inside the frame, the head big enough and centred? (geometry only: known before the
    scene is measured)"""
    out = []
    x0, y0, x1, y1 = a.crop_bounds()
    if a.crop[3] - a.crop[1] > a.height or a.crop[2] - a.crop[0] > a.width:
        out.append(problem("too_close"))
    elif a.head_px < t.min_head_px:
        out.append(problem("too_far"))
    if "too_close" not in {p.code for p in out}:
        if y0 < 0 or not a.crown_from_backdrop and a.crown_y <= 0:
            out.append(problem("too_high"))
        elif y1 > a.height:
            out.append(problem("too_low"))
        if x0 < 0 or a.center_offset < -t.frame_center_offset:
            out.append(problem("move_left"))
        elif x1 > a.width or a.center_offset > t.frame_center_offset:
            out.append(problem("move_right"))
    return out
