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
