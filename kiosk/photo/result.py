"""What one analysis of a face found: the Analysis record (measures, geometry, problems, warnings) and the photo
rectangle's geometry (crop_box, the turned crop's corners and its affine map to the cut photo)."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.policy import PhotoSpec

from .measures import transform
from .problems import Problem
from .scene import blue_in_range, region_matrix
from .thresholds import Thresholds


@dataclass
class Analysis:
    width: int
    height: int
    faces: int
    landmarks: np.ndarray | None = None  # 478 x 2, full-frame pixels
    depth: np.ndarray | None = None  # 478 z values in the same pixel scale (FaceMesh's relative depth)
    crown_y: float = 0.0  # crown, chin, eye line and centre: in the upright frame (turned by `rotation`)
    chin_y: float = 0.0
    eye_y: float = 0.0
    center_x: float = 0.0
    crown_from_backdrop: bool = False
    head_ratio: float = 0.0  # head height / frame height
    center_offset: float = 0.0  # (face centre - frame centre) / frame width; negative: face on the image's left
    crop: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 of the 3:4 photo in upright pixels
    rotation: np.ndarray | None = None  # 2x3 affine, frame pixels -> upright pixels (the roll taken out)
    roll_deg: float = 0.0
    yaw: float = 0.0  # degrees, from the mesh's 3-D points (measures.head_pose)
    pitch: float = 0.0  # degrees, positive: head down
    eye_open: float = 0.0  # the smaller lid gap over iris diameter
    eyes: tuple[float, float] = (0.0, 0.0)  # both eyes' openness
    gaze: float = 0.0  # eye widths, positive towards the image's right
    lip_gap: float = 0.0
    teeth: float = 0.0  # teeth area over iris area
    fringe: float = 0.0  # CIELAB dE above the brows from the cheeks: the second largest of three patches
    fringe_any: float = 0.0  # the largest
    glare: float = 0.0
    top_ratio: float = 0.0  # silhouette top above the eyes over eye-chin
    head_colour: float = 0.0  # share of the head above the forehead that is vivid or white
    others: float = 0.0  # share of the photo covered by another person
    clutter: float = 0.0  # share of the photo that is neither the candidate nor the backdrop
    face_luma: float = 0.0
    clipped: float = 0.0
    cheek_ratio: float = 1.0
    saturation: float = 0.0
    sharpness: float = 0.0
    background: dict = field(default_factory=dict)  # blue (share), std (V), rgb (mean): outside the person mask
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # uncertain measures, for the operator
    faces_counted: bool = True  # False: `faces` carries a count made on a recent frame (tracking), not this one
    carried: bool = False  # sharpness and the scene come from the frame just before (a counting frame)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head_px(self) -> float:
        return self.chin_y - self.crown_y

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def crop_corners(self) -> np.ndarray:
        """The photo rectangle's four corners (tl, tr, br, bl) in frame pixels."""
        x0, y0, x1, y1 = self.crop
        corners = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        if self.rotation is None:
            return corners
        return transform(corners, cv2.invertAffineTransform(self.rotation))

    def crop_bounds(self) -> tuple[float, float, float, float]:
        """The frame-pixel bounding box of the (turned) photo rectangle."""
        c = self.crop_corners()
        return float(c[:, 0].min()), float(c[:, 1].min()), float(c[:, 0].max()), float(c[:, 1].max())

    def photo_matrix(self, size: tuple[int, int]) -> np.ndarray:
        """2x3 affine from frame pixels to the cut photo of `size` (width, height)."""
        rot = self.rotation if self.rotation is not None else np.float64([[1, 0, 0], [0, 1, 0]])
        return region_matrix(rot, self.crop, size)


def crop_box(crown_y: float, chin_y: float, center_x: float, spec: PhotoSpec, top_margin: float):
    """The 3:4 (spec aspect) photo rectangle: head (crown..chin) = spec.head_ratio of the height, centred."""
    height = (chin_y - crown_y) / spec.head_ratio
    width = height * spec.width / spec.height
    y0 = crown_y - top_margin * height
    x0 = center_x - width / 2
    return x0, y0, x0 + width, y0 + height


def blue_mask(hsv: np.ndarray, t: Thresholds) -> np.ndarray:
    return blue_in_range(hsv, t) > 0
