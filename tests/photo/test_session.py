"""The live session driven frame by frame by a scripted subject, as the Kivy screen will drive it."""
import pytest

from drivers.camera.scripted import Pose, ScriptedCamera
from kiosk.errors import KioskError
from kiosk.photo import Phase, PhotoSession

FRAME = (960, 1280)
BLINK = [(0.0, Pose(eyes_closed=True)), (0.1, Pose(eyes_closed=True)), (0.15, Pose())]


def at(t0, keys):
    return [(t0 + t, p) for t, p in keys]


@pytest.fixture
def session(policy, analyser, maker):
    s = PhotoSession(policy.photo, analyser=analyser, maker=maker)
    yield s


def run(session, camera):
    camera.open()
    states = []
    while (frame := camera.read()) is not None:
        states.append((frame.timestamp, session.feed(frame)))
        if session.phase is not Phase.LIVE:
            break
    return states


def test_guides_then_captures_after_stable_pose_and_blink(subject, session):
    script = [(0, Pose(face_x=0.25)), (1.0, Pose(face_x=0.25)), (1.6, Pose()), (2.5, Pose())] + at(2.5, BLINK) \
        + [(5.0, Pose())]
    states = run(session, ScriptedCamera(subject, script, fps=15, size=FRAME))
    messages = [s.message for _, s in states]
    assert "请向左移动一点" in messages
    assert session.phase is Phase.REVIEW and len(session.shots) == 1
    captured_at = states[-1][0]
    assert captured_at >= 2.65  # not before the blink
    # guidance never flickers: once shown, "move left" stays until the student has moved
    shown = [s.code for t, s in states if t < 1.0]
    first = shown.index("move_left")
    assert all(c == "move_left" for c in shown[first:])


def test_no_blink_no_capture(subject, session):
    states = run(session, ScriptedCamera(subject, [(0, Pose()), (3.0, Pose())], fps=10, size=FRAME))
    assert session.phase is Phase.LIVE
    assert states[-1][1].message == "请自然地眨一下眼睛"


def test_brief_glitch_does_not_flicker(subject, session):
    """One bad frame (hysteresis on-delay) shows no new advice."""
    script = [(0, Pose()), (1.0, Pose()), (1.01, Pose(face_x=0.2)), (1.08, Pose(face_x=0.2)), (1.09, Pose()),
              (2.0, Pose())]
    states = run(session, ScriptedCamera(subject, script, fps=15, size=FRAME))
    assert all(s.code is None for _, s in states)


def test_retake_and_choose_between_two_shots(subject, session, policy):
    good = [(0, Pose())] + at(0.3, BLINK) + [(2.0, Pose())]
    run(session, ScriptedCamera(subject, good, fps=15, size=FRAME))
    assert session.can_retake
    session.retake()
    run(session, ScriptedCamera(subject, [(0, Pose(face_x=0.47))] + at(0.3, BLINK) + [(2.0, Pose(face_x=0.47))],
                                fps=15, size=FRAME))
    assert len(session.shots) == 2 and not session.can_retake
    with pytest.raises(KioskError):
        session.retake()
    photo = session.choose(1)
    assert session.phase is Phase.DONE
    assert len(photo.jpeg) <= policy.photo.max_bytes


def test_no_face_then_face(subject, session):
    script = [(0, Pose(face_x=3.0)), (0.5, Pose(face_x=3.0)), (0.51, Pose()), (1.5, Pose())]
    states = run(session, ScriptedCamera(subject, script, fps=15, size=FRAME))
    codes = [s.code for _, s in states]
    assert "no_face" in codes and codes[-1] is None


def test_live_configuration_tracks_guides_and_captures(subject, policy, maker):
    """The terminal's configuration: FaceMesh tracking one face, other faces counted every few frames. A second
    person stepping in is named; once alone, steady and blinking, the student is photographed."""
    import numpy as np

    from kiosk.devices.camera import Frame
    from kiosk.photo import FaceAnalyser

    with FaceAnalyser(policy.photo, tracking=True) as live:
        s = PhotoSession(policy.photo, analyser=live, maker=maker)
        half = subject.render(Pose(head=0.42), (640, 960))
        empty = subject.render(Pose(face_x=3.0), (640, 960))
        t, codes = 0.0, []
        for image in [np.hstack([half, empty])] * 8 + [np.hstack([half, half])] * 12:
            codes.append(s.feed(Frame(image, t, round(t * 15))).code)
            t += 1 / 15
        assert "multiple_faces" in codes[8:]
        script = [(0, Pose()), (1.0, Pose())] + at(1.0, BLINK) + [(3.0, Pose())]
        cam = ScriptedCamera(subject, script, fps=15, size=FRAME)
        cam.open()
        while (frame := cam.read()) is not None and s.phase is Phase.LIVE:
            s.feed(Frame(frame.image, t + frame.timestamp, frame.index))
        assert s.phase is Phase.REVIEW and len(s.shots) == 1
        photo = s.shots[0].photo
        assert len(photo.jpeg) <= policy.photo.max_bytes
        assert photo.analysis.head_ratio == pytest.approx(policy.photo.head_ratio, abs=0.03)
