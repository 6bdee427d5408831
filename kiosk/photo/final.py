"""The finished photo: cut the 3:4 crop (head = policy ratio of the height, centred, turned upright), check it,
encode it."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.errors import KioskError
from kiosk.policy import PhotoSpec

from . import jpeg
from .analysis import Analysis, FaceAnalyser
from .measures import transform
from .mesh import Graphs
from .rules import frame_problems, quality_problems, quality_warnings
from .problems import Problem, problem
from .spoof import recapture_warnings
from .thresholds import Thresholds

# What a heuristic cannot judge reliably: asked of the student, answered yes to go on.
CONFIRMATIONS: tuple[Problem, ...] = (
    Problem("ears_eyebrows", "头发没有遮住眉毛和耳朵"),
    Problem("no_headwear", "没有戴帽子、头饰或发箍"),
    Problem("no_jewellery", "没有佩戴耳环、项链等饰品，没有戴有色眼镜"),
    Problem("collar", "衣领露出，衣服颜色不是蓝色"),
)


@dataclass
class FinalPhoto:
    jpeg: bytes
    quality: int
    image: np.ndarray  # the 450x600 BGR pixels before encoding
    analysis: Analysis  # of the finished photo
    operator_warnings: list[Problem] = field(default_factory=list)  # uncertain measures and recapture hints
    confirmations: tuple[Problem, ...] = CONFIRMATIONS
    frame: Analysis | None = None  # the camera frame's analysis the photo was cut from


def photo_problems(a: Analysis, spec: PhotoSpec, t: Thresholds) -> list[Problem]:
    """Problems of an image judged as the finished photo: head share, centring, then every quality rule."""
    if a.faces != 1:
        return a.problems
    out = []
    if abs(a.head_ratio - spec.head_ratio) > t.head_ratio_tolerance:
        out.append(problem("head_size"))
    if abs(a.center_offset) > t.max_center_offset:
        out.append(problem("off_center"))
    return out + quality_problems(a, t, photo=True)


def file_problems(data: bytes, spec: PhotoSpec) -> list[Problem]:
    """The numeric rules of the file itself: JPEG, pixels, bytes, JFIF density."""
    out = []
    density = jpeg.jfif_density(data)
    if data[:2] != b"\xff\xd8":
        return [problem("format")]
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return [problem("format")]
    if (img.shape[1], img.shape[0]) != (spec.width, spec.height):
        out.append(problem("pixels", f"照片尺寸应为 {spec.width}×{spec.height} 像素"))
    if len(data) > spec.max_bytes:
        out.append(problem("file_size", f"照片文件不能超过 {spec.max_bytes // 1000}KB"))
    if density is None or density[0] != 1 or min(density[1:]) < spec.min_dpi:
        out.append(problem("dpi", f"照片分辨率应不低于 {spec.min_dpi} dpi"))
    return out


def check_inside(a: Analysis) -> None:
    """KioskError when the (turned) photo rectangle does not lie inside the frame."""
    x0, y0, x1, y1 = a.crop_bounds()
    if x0 < -0.5 or y0 < -0.5 or x1 > a.width + 0.5 or y1 > a.height + 0.5:
        raise KioskError("人像不完整或不在画面中央，无法裁剪出合格照片，请调整位置后重新拍摄",
                         detail=f"crop {a.crop} outside frame {a.width}x{a.height}")


def cut(image: np.ndarray, a: Analysis, spec: PhotoSpec) -> np.ndarray:
    """The crop, turned upright, scaled to the spec's pixels; KioskError when it does not lie inside the frame."""
    check_inside(a)
    size = (spec.width, spec.height)
    zoom = spec.height / (a.crop[3] - a.crop[1])
    if zoom < 0.5:  # shrink by area first (warpAffine has no area filter)
        pre = 0.5 / zoom
        small = cv2.resize(image, None, fx=1 / pre, fy=1 / pre, interpolation=cv2.INTER_AREA)
        scale = np.float64([[1 / pre, 0, 0], [0, 1 / pre, 0], [0, 0, 1]])
        aff = a.photo_matrix(size) @ np.linalg.inv(scale)
        return cv2.warpAffine(small, aff, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    interp = cv2.INTER_LINEAR if zoom < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(image, a.photo_matrix(size), size, flags=interp, borderMode=cv2.BORDER_REPLICATE)


def crop_landmarks(a: Analysis, spec: PhotoSpec) -> np.ndarray:
    """The frame's landmarks carried into the cut photo's pixels (N x 3 with the depth): the turn, shift and
    scale cut() applies."""
    check_inside(a)
    aff = a.photo_matrix((spec.width, spec.height))
    xy = transform(a.landmarks, aff)
    if a.depth is None:
        return xy
    zoom = float(np.sqrt(abs(np.linalg.det(aff[:, :2]))))
    return np.hstack([xy, (a.depth * zoom)[:, None]]).astype(np.float32)


class PhotoMaker:
    """Turns a frame (with its analysis) into the finished photo; owns a still-image analyser for the re-check.

    The crop is an exact function of the frame's landmarks, so the finished photo is not run through FaceMesh
    again: its landmarks are the frame's, shifted and scaled as the crop was, and every measurement that looks at
    pixels is taken afresh on the finished (cut, denoised) pixels: the crown scan for the head ratio, backdrop,
    light, colour and sharpness. The face count is taken afresh on the frame when the analysis carried it from an
    earlier frame (tracking). `redetect=True` runs FaceMesh on the finished photo as well (about 8 ms more).
    """

    def __init__(self, spec: PhotoSpec, thresholds: Thresholds | None = None, *, denoise: bool = True,
                 redetect: bool = False, graphs: Graphs | None = None):
        """graphs: the live analyser's (PhotoModels): the still analyser then runs the same segmenter and face
        detector, and its own FaceMesh is loaded only when a still image is analysed (redetect, analyse_still)."""
        self.spec, self.t, self.denoise, self.redetect = spec, thresholds or Thresholds(), denoise, redetect
        self.frame_t = self.t.capture()  # a frame is cut only with a margin inside every limit
        self.still = FaceAnalyser(spec, self.frame_t, tracking=False, graphs=graphs)

    def close(self) -> None:
        self.still.close()

    def analyse_still(self, image: np.ndarray) -> Analysis:
        return self.still.analyse(image)

    def _refuse(self, problems: list[Problem], what: str, codes) -> None:
        self.last_refusal = sorted(codes)  # the codes of the last refusal (tests, logs)
        raise KioskError("无法生成合格照片：" + "；".join(p.message for p in problems),
                         detail=f"{what} problems {sorted(codes)}")

    def verify(self, out: np.ndarray, a: Analysis) -> Analysis:
        """The finished photo's analysis: the frame's landmarks carried over, pixels measured on `out`."""
        if self.redetect:
            return self.still.analyse(out)
        final = Analysis(width=out.shape[1], height=out.shape[0], faces=1)
        final = self.still.measure(final, crop_landmarks(a, self.spec), out)
        final.warnings = quality_warnings(final, self.t)
        return final

    def make(self, image: np.ndarray, a: Analysis | None = None) -> FinalPhoto:
        """Raises KioskError (Chinese, says what to do) when no compliant photo can be cut from the image."""
        a = a or self.still.analyse(image)
        if a.faces == 1 and a.landmarks is not None:  # judged by the capture limits, whoever analysed it
            a.problems = frame_problems(a, self.frame_t)
            if not {"too_close", "too_far"} & a.codes():
                check_inside(a)
        blocking = [p for p in a.problems if p.code not in ("move_left", "move_right", "too_high", "too_low")]
        if blocking:
            self._refuse(blocking, "frame", a.codes())
        if not a.faces_counted and self.still.count_faces(image, a) > 1:
            self._refuse([problem("multiple_faces")], "frame", ["multiple_faces"])
        out = cut(image, a, self.spec)
        if self.denoise:
            out = cv2.bilateralFilter(out, 5, 12, 5)
        final = self.verify(out, a)
        problems = photo_problems(final, self.spec, self.t)
        if problems:
            self._refuse(problems, "photo", [p.code for p in problems])
        data, quality = jpeg.encode_under(out, self.spec.max_bytes, self.spec.min_dpi)
        eye_chin = a.chin_y - a.eye_y
        face_box = (int(a.center_x - eye_chin), int(a.eye_y - 0.6 * eye_chin), int(a.center_x + eye_chin),
                    int(a.chin_y))
        warnings = _merge(a.warnings, final.warnings) + recapture_warnings(image, face_box, self.t.moire_peak)
        return FinalPhoto(data, quality, out, final, warnings, frame=a)


def _merge(*lists: list[Problem]) -> list[Problem]:
    """Warnings of the frame and of the photo, each code once."""
    seen, out = set(), []
    for p in (p for ps in lists for p in ps):
        if p.code not in seen:
            seen.add(p.code)
            out.append(p)
    return out
