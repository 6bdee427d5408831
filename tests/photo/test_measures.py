"""The face measures on known geometry: the astronaut's own 3-D mesh turned by known angles, scaled, moved."""
import math

import numpy as np
import pytest

from drivers.camera.scripted import Pose
from kiosk.photo import measures as m


@pytest.fixture(scope="module")
def mesh(subject, analyser):
    a = analyser.analyse(subject.render(Pose(), (960, 1280)))
    return np.hstack([a.landmarks, a.depth[:, None]]).astype(np.float64)


def _turn(pts, yaw=0.0, pitch=0.0, roll=0.0):
    """The points turned about the face's centre: yaw about the image's y axis, pitch about x, roll about z."""
    c = pts.mean(axis=0)
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return (pts - c) @ (rz @ rx @ ry).T + c


@pytest.mark.parametrize("yaw", [-20, -8, 8, 20])
def test_yaw_follows_a_known_turn(mesh, yaw):
    y0, p0, _ = m.head_pose(mesh)
    y1, p1, _ = m.head_pose(_turn(mesh, yaw=yaw))
    assert abs(abs(y1 - y0) - abs(yaw)) < 1.0 and abs(p1 - p0) < 1.5


@pytest.mark.parametrize("pitch", [-15, 10])
def test_pitch_follows_a_known_nod(mesh, pitch):
    y0, p0, _ = m.head_pose(mesh)
    y1, p1, _ = m.head_pose(_turn(mesh, pitch=pitch))
    assert abs(abs(p1 - p0) - abs(pitch)) < 1.0 and abs(y1 - y0) < 1.5


def test_roll_is_the_eye_line_and_does_not_move_yaw_or_pitch(mesh):
    y0, p0, r0 = m.head_pose(mesh)
    y1, p1, r1 = m.head_pose(_turn(mesh, roll=8))
    assert r1 - r0 == pytest.approx(8, abs=0.5)
    assert abs(y1 - y0) < 0.5 and abs(p1 - p0) < 0.5


def test_eye_openness_and_gaze_do_not_move_with_scale_or_position(mesh):
    moved = mesh * 1.7 + np.array([40.0, -25.0, 0.0])
    assert m.eye_openness(moved) == pytest.approx(m.eye_openness(mesh), rel=1e-5)
    assert m.gaze(moved) == pytest.approx(m.gaze(mesh), abs=1e-6)


def test_upright_matrix_levels_the_eye_line(mesh):
    pts = _turn(mesh, roll=7)
    r = m.eye_roll(pts)
    level = m.transform(pts, m.upright_matrix(((pts[468, 0] + pts[473, 0]) / 2, (pts[468, 1] + pts[473, 1]) / 2), r))
    assert m.eye_roll(level) == pytest.approx(0.0, abs=1e-3)
