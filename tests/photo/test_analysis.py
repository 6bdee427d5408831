"""Frame verdicts on real-face composites (scikit-image's astronaut on the blue backdrop) and their variants."""
import numpy as np
import pytest

from drivers.camera.scripted import Pose

FRAME = (960, 1280)

VARIANTS = {
    "shifted_left": (Pose(face_x=0.3), "move_left"),
    "shifted_right": (Pose(face_x=0.7), "move_right"),
    "too_small": (Pose(head=0.2), "too_far"),
    "too_large": (Pose(head=0.9), "too_close"),
    "too_high": (Pose(eye_y=0.15), "too_high"),
    "too_low": (Pose(eye_y=0.7), "too_low"),
    "rotated": (Pose(angle=12), "tilted"),
    "blurred": (Pose(blur=5), "blurry"),
    "dark": (Pose(gain=0.35), "too_dark"),
    "overexposed": (Pose(gain=1.8), "too_bright"),
    "wrong_background": (Pose(backdrop=(230, 230, 230)), "background"),
    "side_lit": (Pose(side_light=1.0), "uneven_light"),
    "eyes_closed": (Pose(eyes_closed=True), "eyes_closed"),
}


def test_good_frame_has_no_problem(subject, analyser):
    a = analyser.analyse(subject.render(Pose(), FRAME))
    assert a.faces == 1 and a.problems == [], a.codes()
    assert a.crown_from_backdrop
    assert abs(a.center_offset) < 0.02
    assert a.background["blue"] > 0.95


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_gets_its_verdict(subject, analyser, name):
    pose, code = VARIANTS[name]
    a = analyser.analyse(subject.render(pose, FRAME))
    assert code in a.codes(), (name, a.codes())
    assert all(p.message for p in a.problems)


def test_smile_with_open_lips_is_mouth_open(smiling_subject, analyser):
    assert "mouth_open" in analyser.analyse(smiling_subject.render(Pose(), FRAME)).codes()


def test_two_faces(subject, analyser):
    left = subject.render(Pose(face_x=0.5, head=0.35), (640, 960))
    a = analyser.analyse(np.hstack([left, left]))
    assert a.faces == 2 and a.codes() == {"multiple_faces"}


def test_no_face_on_an_empty_backdrop(subject, analyser):
    frame = np.empty((960, 720, 3), np.uint8)
    frame[:] = (219, 142, 67)
    assert analyser.analyse(frame).codes() == {"no_face"}


def test_grey_photo_is_not_colour(subject, analyser):
    import cv2

    gray = cv2.cvtColor(cv2.cvtColor(subject.render(Pose(), FRAME), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert "not_color" in analyser.analyse(gray).codes()


def test_crown_from_backdrop_agrees_with_a_second_scale(subject, analyser):
    """Head height scales with the subject: the crown scan is consistent within 3%."""
    a1 = analyser.analyse(subject.render(Pose(head=0.40), FRAME))
    a2 = analyser.analyse(subject.render(Pose(head=0.50), FRAME))
    assert a2.head_px / a1.head_px == pytest.approx(0.50 / 0.40, rel=0.03)
