"""Thresholds of the photo checks. Defaults come from shared/reference/photo-pipeline.md (measured on a small set);
calibrate them on the terminal's real camera, lighting and backdrop."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    max_roll_deg: float = 5.0
    max_turn: float = 0.08  # nose offset from the cheek midpoint, in face widths
    pitch_range: tuple[float, float] = (0.30, 0.62)  # (nose - eye line) / (chin - eye line)
    min_eye_open: float = 0.20  # eye aspect ratio of an open eye
    max_lip_gap: float = 0.05  # inner lip gap over eye-chin distance
    face_luma: tuple[float, float] = (70.0, 215.0)
    max_clipped: float = 0.02  # share of face pixels >= 247
    cheek_ratio: tuple[float, float] = (0.75, 1.33)
    min_blue: float = 0.90  # share of the background strips that is backdrop blue
    max_background_std: float = 15.0  # V channel std on the strips
    blue_hue: tuple[int, int] = (95, 130)  # OpenCV hue (0-180)
    blue_min_s: int = 70
    blue_min_v: int = 60
    min_sharpness: float = 60.0  # variance of the Laplacian on the face scaled to 128 px
    min_saturation: float = 18.0  # mean HSV saturation of the face: below it the photo is grey
    min_head_px: int = 300  # head height in camera pixels (the photo's head is 400 px: upscale at most 1.33x)
    max_center_offset: float = 0.04  # of the width, for a finished photo
    frame_center_offset: float = 0.08  # of the frame width, for live guidance
    head_ratio_tolerance: float = 0.05  # for a finished photo: |head/height - policy ratio|
    top_margin: float = 0.10  # gap above the crown, of the photo height
    crown_ratio: float = 1.38  # (eye->crown)/(eye->chin) when the backdrop scan fails
    crown_min_non_blue: float = 0.10  # a row in the head band with this share of non-blue is hair
    moire_peak: float = 5.0  # spectral peak over its neighbourhood on the face (spoof.moire_score)
