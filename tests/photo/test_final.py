"""The finished photo: every produced file meets every numeric rule; no compliant photo means a clear refusal."""
import cv2
import numpy as np
import pytest

from drivers.camera.scripted import Pose
from kiosk.errors import KioskError
from kiosk.photo import file_problems, photo_problems, Thresholds
from kiosk.photo.jpeg import has_metadata, jfif_density

FRAME = (960, 1280)
MAKEABLE = {"centred": Pose(), "shifted": Pose(face_x=0.42), "smaller": Pose(head=0.32), "larger": Pose(head=0.55),
            "landscape": Pose(face_x=0.55, head=0.6)}


def assert_meets_every_rule(photo, spec, analyser):
    data = photo.jpeg
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert (img.shape[1], img.shape[0]) == (spec.width, spec.height)
    assert len(data) <= spec.max_bytes
    assert jfif_density(data) == (1, spec.min_dpi, spec.min_dpi)
    assert not has_metadata(data)
    assert file_problems(data, spec) == []
    a = analyser.analyse(img)  # the decoded file, judged afresh
    assert a.head_ratio == pytest.approx(spec.head_ratio, abs=0.03)
    assert abs(a.center_offset) <= 0.02
    assert photo_problems(a, spec, Thresholds()) == []


@pytest.mark.parametrize("name", MAKEABLE)
def test_made_photo_meets_every_rule(subject, maker, analyser, policy, name):
    size = (1280, 960) if name == "landscape" else FRAME
    photo = maker.make(subject.render(MAKEABLE[name], size))
    assert_meets_every_rule(photo, policy.photo, analyser)
    assert photo.quality >= 75  # the search found a high quality, not a blind low one
    assert {w.code for w in photo.operator_warnings} <= {"fringe"}  # the astronaut's hair reaches one brow
    assert {c.code for c in photo.confirmations} >= {"ears_eyebrows", "no_jewellery", "collar"}


@pytest.mark.parametrize("pose, word", [
    (Pose(head=0.2), "靠近"), (Pose(head=0.9), "后退"), (Pose(angle=16), "摆正"), (Pose(blur=5), "模糊"),
    (Pose(gain=0.35), "光线"), (Pose(backdrop=(230, 230, 230)), "蓝色"), (Pose(eye_y=0.12), "裁剪"),
])
def test_no_compliant_photo_is_refused_clearly(subject, maker, pose, word):
    with pytest.raises(KioskError) as err:
        maker.make(subject.render(pose, FRAME))
    assert word in err.value.message


def test_two_faces_refused(subject, maker):
    half = subject.render(Pose(head=0.35), (640, 960))
    with pytest.raises(KioskError) as err:
        maker.make(np.hstack([half, half]))
    assert "一人" in err.value.message


def test_photo_of_a_screen_warns_the_operator(subject, maker):
    """A screen's pixel grating over the whole view: the photo is made, and the operator is warned."""
    frame = subject.render(Pose(), FRAME).astype(np.float32)
    yy, xx = np.mgrid[0:FRAME[1], 0:FRAME[0]]
    frame *= (0.94 + 0.06 * np.sin(xx * 2 * np.pi / 5.3 + yy * 0.3))[..., None]
    photo = maker.make(np.clip(frame, 0, 255).astype(np.uint8))
    assert "moire" in {w.code for w in photo.operator_warnings}


def test_held_up_print_edge_is_seen(subject):
    from kiosk.photo.spoof import framing_rectangle

    frame = subject.render(Pose(), FRAME)
    assert not framing_rectangle(frame, (480, 500))
    cv2.rectangle(frame, (100, 150), (860, 1200), (250, 250, 250), 12)  # a print's white edge
    assert framing_rectangle(frame, (480, 500))


def test_quality_search_beats_fixed_steps(subject, maker, policy):
    from kiosk.photo import jpeg

    photo = maker.make(subject.render(Pose(), FRAME))
    assert len(jpeg.encode(photo.image, photo.quality + 1, 300)) > policy.photo.max_bytes or photo.quality == 95


@pytest.mark.parametrize("name", ["centred", "landscape"])
def test_carried_landmarks_agree_with_a_second_detection(subject, policy, maker, name):
    """The finished photo is verified with the frame's landmarks carried into it; FaceMesh run on the finished
    photo itself measures the same head share, centring and backdrop."""
    from kiosk.photo import PhotoMaker

    size = (1280, 960) if name == "landscape" else FRAME
    frame = subject.render(MAKEABLE[name], size)
    fast = maker.make(frame)
    full = PhotoMaker(policy.photo, redetect=True)
    try:
        slow = full.make(frame)
    finally:
        full.close()
    assert fast.jpeg == slow.jpeg  # same pixels, same file
    assert fast.analysis.head_ratio == pytest.approx(slow.analysis.head_ratio, abs=0.01)
    assert fast.analysis.center_offset == pytest.approx(slow.analysis.center_offset, abs=0.01)
    assert fast.analysis.background["blue"] == pytest.approx(slow.analysis.background["blue"], abs=0.02)
    assert fast.analysis.sharpness == pytest.approx(slow.analysis.sharpness, rel=0.1)


@pytest.mark.parametrize("cap", [15000, 30000, 50000])
def test_quality_search_finds_the_highest_fitting_quality(cap):
    """Against every quality from 20 to 95, on real pictures of different detail."""
    from skimage import data

    from kiosk.photo import jpeg

    for name in ("astronaut", "coffee", "rocket"):
        image = cv2.resize(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR), (450, 600))
        fitting = [q for q in range(20, 96) if len(jpeg.encode(image, q, 300)) <= cap]
        if not fitting:
            with pytest.raises(KioskError):
                jpeg.encode_under(image, cap, 300)
            continue
        data_, quality = jpeg.encode_under(image, cap, 300)
        assert quality == max(fitting), name
        assert len(data_) <= cap and data_ == jpeg.encode(image, quality, 300)


def _painted(subject, analyser, paint):
    frame = subject.render(Pose(), FRAME)
    a = analyser.analyse(frame)
    paint(frame, a)
    return frame


@pytest.mark.parametrize("what, code", [("lens glare", "glare"), ("red hat", "headwear"), ("object", "clutter")])
def test_uncertain_findings_pass_with_an_operator_warning_naming_them(subject, analyser, maker, what, code):
    import cv2

    def paint(frame, a):
        p = a.landmarks.astype(int)
        if what == "lens glare":  # a spectacle reflection over both irises
            for i in (468, 473):
                cv2.circle(frame, tuple(p[i]), int(abs(p[473, 0] - p[468, 0]) * 0.065), (255, 255, 255), -1)
        elif what == "red hat":  # a vivid band on the hair above the forehead
            top, cx, half = a.crown_y, (p[234, 0] + p[454, 0]) / 2, (p[454, 0] - p[234, 0]) / 2
            centre, axes = (int(cx), int(top + 0.35 * (p[10, 1] - top))), (int(0.5 * half), int(0.2 * (p[10, 1] - top)))
            cv2.ellipse(frame, centre, axes, 0, 0, 360, (30, 30, 220), -1)
        else:  # a pale grey box on the backdrop beside the head, inside the photo
            x1, y0 = int(a.crop[2]), int(a.crop[1])
            cv2.rectangle(frame, (x1 - 70, y0 + 40), (x1 - 10, y0 + 160), (205, 205, 205), -1)

    photo = maker.make(_painted(subject, analyser, paint))
    assert code in {w.code for w in photo.operator_warnings}
    assert all("工作人员" in w.message for w in photo.operator_warnings)
