"""Problem codes found in a frame or a photo, with the Chinese text shown to the student (or the operator)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # Chinese, short, says what to do

    def as_json(self) -> dict:
        return {"code": self.code, "message": self.message}


# Ordered by priority: the first active one is the guidance shown.
MESSAGES: dict[str, str] = {
    "no_face": "未检测到人脸，请正对镜头坐好",
    "multiple_faces": "画面中只能有考生一人，请其他人离开",
    "too_close": "请后退一些",
    "too_far": "请靠近一些",
    "too_high": "头部太靠上，请稍微坐低一些",
    "too_low": "头部太靠下，请坐直或稍微抬高一些",
    "move_left": "请向左移动一点",
    "move_right": "请向右移动一点",
    "turned": "请正对镜头，不要侧脸",
    "tilted": "请把头摆正，不要歪头",
    "head_down": "请抬头平视前方",
    "head_up": "请稍微低头，平视前方",
    "eyes_closed": "请睁开眼睛",
    "gaze": "请眼睛平视镜头",
    "mouth_open": "请闭上嘴巴，表情自然",
    "fringe": "头发不能遮住眉毛，请把刘海拨开",
    "other_person": "照片中只能有考生一人",
    "background": "背景须为均匀的蓝色，请坐到蓝色背景前",
    "too_dark": "光线太暗，请联系工作人员调整灯光",
    "too_bright": "光线太强，脸部过亮，请联系工作人员调整灯光",
    "uneven_light": "脸部光线不均匀，请正对灯光坐好",
    "blurry": "画面模糊，请保持不动",
    "not_color": "须为彩色照片",
    # only for a finished photo (kiosk photo check)
    "off_center": "人像未水平居中",
    "head_size": "头部高度应约占照片高度的三分之二",
    "pixels": "照片尺寸应为 450×600 像素",
    "file_size": "照片文件不能超过 30KB",
    "dpi": "照片分辨率应不低于 300 dpi",
    "format": "照片须为 JPG 格式",
}
PRIORITY = {code: rank for rank, code in enumerate(MESSAGES)}

# Uncertain measures: the photo passes, with one of these for the operator, naming what to look at.
WARNINGS: dict[str, str] = {
    "eyes_closed": "眼睛可能没有完全睁开，请工作人员核实",
    "turned": "头部可能略有侧转，请工作人员核实是否正脸",
    "gaze": "视线可能没有平视镜头，请工作人员核实",
    "mouth_open": "可能露出牙齿或嘴巴微张，请工作人员核实表情",
    "fringe": "头发可能遮住眉毛，请工作人员核实",
    "headwear": "头顶轮廓或颜色异常，可能戴有帽子、发箍或头饰，请工作人员核实",
    "glare": "眼部有强反光，可能是眼镜反光，请工作人员核实",
    "clutter": "背景中可能有其他物品，请工作人员核实",
    "bystander": "画面中（照片范围外）还有其他人，请工作人员核实",
}


def warning(code: str) -> Problem:
    return Problem(code, WARNINGS[code])


def problem(code: str, message: str | None = None) -> Problem:
    return Problem(code, message or MESSAGES[code])
