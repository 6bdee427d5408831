"""Thresholds of the photo checks. Each limit and how it was chosen (per-class distributions on the 40 labelled
frames of shared/faces) is in MEASURES.md; calibrate them on the terminal's real camera, lighting and backdrop.

A measure beyond its `max_`/`min_` limit refuses the photo (and guides the student live); one inside the limit
but beyond its `warn_` value passes with an operator warning naming the problem (uncertain, for a person to look
at). capture() is the set the live session and `kiosk photo make` judge a camera frame by: every refusing limit
moved inside by a margin, so the photo cut from an accepted frame passes `kiosk photo check` on its own pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Thresholds:
    # pose, degrees, from the mesh's 3-D points
    max_yaw_deg: float = 12.0
    warn_yaw_deg: float = 9.0
    max_pitch_deg: float = 15.0  # head down (positive) or up (negative), from a frontal face
    max_roll_deg: float = 5.0  # a finished photo (the crop is turned upright)
    max_roll_correct_deg: float = 10.0  # a camera frame: up to this the crop is turned upright
    max_gaze: float = 0.10  # eye widths
    warn_gaze: float = 0.055
    # eyes: lid gap over iris diameter
    min_eye_open: float = 0.35
    warn_eye_open: float = 0.48
    blink_ratio: float = 0.7  # a blink: openness below this share of the student's own running open value
    # mouth
    max_lip_gap: float = 0.05  # inner lip gap over eye-chin distance
    max_teeth: float = 0.08  # teeth area over iris area
    warn_teeth: float = 0.03
    # hair, headwear, glasses
    max_fringe: float = 40.0  # CIELAB dE of the skin above the brows from the cheeks (second of three patches)
    warn_fringe: float = 44.0  # the largest of the three
    warn_top_ratio: float = 1.50  # (eye - silhouette top) / (chin - eye): taller hints a bun or headwear
    warn_head_colour: float = 0.15  # share of the head above the forehead that is vivid or white
    warn_glare: float = 0.5  # blown-out pixels around the eyes over the iris area
    # light and image
    face_luma: tuple[float, float] = (70.0, 215.0)
    max_clipped: float = 0.02  # share of face pixels >= 247
    cheek_ratio: tuple[float, float] = (0.77, 1.30)  # good faces of the set: 0.91-1.13
    min_sharpness: float = 60.0  # variance of the Laplacian on the face scaled to 128 px
    min_saturation: float = 18.0  # mean HSV saturation of the face: below it the photo is grey
    # backdrop and others (on the person mask of the photo rectangle)
    min_blue: float = 0.90  # share of the backdrop (outside the person) that is backdrop blue
    max_background_std: float = 15.0  # V channel std on the backdrop
    blue_hue: tuple[int, int] = (95, 130)  # OpenCV hue (0-180)
    blue_min_s: int = 70
    blue_min_v: int = 60
    max_others: float = 0.01  # share of the photo covered by a person not joined to the candidate
    warn_clutter: float = 0.005  # share of the photo that is neither the candidate nor the backdrop
    # framing
    min_head_px: int = 300  # head height in camera pixels (the photo's head is 400 px: upscale at most 1.33x)
    max_center_offset: float = 0.04  # of the width, for a finished photo
    frame_center_offset: float = 0.08  # of the frame width, for live guidance
    head_ratio_tolerance: float = 0.05  # for a finished photo: |head/height - policy ratio|
    top_margin: float = 0.10  # gap above the crown, of the photo height
    crown_ratio: float = 1.38  # (eye->crown)/(eye->chin) when the backdrop scan fails
    crown_min_non_blue: float = 0.10  # a row in the head band with this share of non-blue is hair
    moire_peak: float = 5.0  # spectral peak over its neighbourhood on the face (spoof.moire_score)

    def capture(self) -> "Thresholds":
        """The limits a camera frame is captured by: inside every refusing limit by a margin (measurement noise
        between a frame and the photo cut from it, re-measured on its own pixels)."""
        return replace(self, max_yaw_deg=self.max_yaw_deg - 1.5, max_pitch_deg=self.max_pitch_deg - 2.0,
                       max_gaze=self.max_gaze - 0.02, min_eye_open=self.min_eye_open + 0.05,
                       max_lip_gap=self.max_lip_gap - 0.01, max_teeth=self.max_teeth - 0.03,
                       max_fringe=self.max_fringe - 2.0, min_sharpness=self.min_sharpness * 1.25,
                       min_saturation=self.min_saturation + 4, min_blue=min(1.0, self.min_blue + 0.03),
                       max_background_std=self.max_background_std - 3,
                       face_luma=(self.face_luma[0] + 5, self.face_luma[1] - 5),
                       cheek_ratio=(self.cheek_ratio[0] + 0.03, self.cheek_ratio[1] - 0.05))
