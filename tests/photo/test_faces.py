"""The photo checks on the 40 labelled real-face frames of shared/faces (1920x1080, blue backdrop).

- no `good`/`good*` face refused by `kiosk photo make`, and every photo it makes passes `kiosk photo check` on
  its own pixels (the JPEG re-analysed from scratch);
- no `bad`/`smile` face accepted without a refusal or an operator warning naming its problem (EXPECTED below);
- live: each `good` face, fed to the photo session as a 15 fps scripted camera, is photographed within 5 s of
  simulated time; each `bad`/`smile` one is never photographed without a warning naming its problem.
Analyses are made once per module (about 0.1 s a face).
"""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera.scripted import Pose, ScriptedCamera, Subject
from kiosk.errors import KioskError
from kiosk.photo import FaceAnalyser, Phase, PhotoSession, Thresholds, file_problems, photo_problems

# shared/faces: at its place on the developers' machines, or beside the clone (CI)
FACES = next((p for p in (Path("/work/shared/faces"), Path(__file__).resolve().parents[3] / "shared" / "faces")
              if (p / "labels.json").exists()), Path("/work/shared/faces"))
LABELS = json.loads((FACES / "labels.json").read_text()) if (FACES / "labels.json").exists() else []
pytestmark = pytest.mark.skipif(not LABELS, reason="shared/faces is not on this machine")
TRUTH = {d["file"]: d["truth"] for d in LABELS}
GOOD = [d["file"] for d in LABELS if d["truth"] in ("good", "good*")]
BAD = [d["file"] for d in LABELS if d["truth"] in ("bad", "smile")]

# The problem(s) each refused or flagged frame must name (any one of them), from the reviewer's note.
EXPECTED = {
    "hv_test0.jpg": {"mouth_open"}, "fr_obama.jpg": {"mouth_open"}, "ot_p2c.jpg": {"mouth_open"},
    "hv_test2.jpg": {"fringe", "headwear"}, "hv_test4.jpg": {"fringe"}, "hv_demo1.jpg": {"fringe"},
    "hv_demo2.jpg": {"fringe"}, "fr_obama2.jpg": {"mouth_open"}, "in_kun.jpg": {"fringe", "gaze", "head_down"},
    "in_facesample.jpg": {"tilted"}, "in_mask.jpg": {"turned", "tilted", "mouth_open", "fringe"},
    "in_fake.jpg": {"gaze", "moire", "frame_edge", "mouth_open"}, "in_closed.jpg": {"eyes_closed"},
    "in_wink.jpg": {"eyes_closed"}, "in_openmouth.jpg": {"mouth_open"}, "in_left.jpg": {"turned"},
    "in_right.jpg": {"turned"}, "in_lwry.jpg": {"tilted"}, "in_rwry.jpg": {"tilted", "eyes_closed"},
    "in_rise.jpg": {"head_up"}, "in_blur.jpg": {"blurry"}, "in_anger.jpg": {"mouth_open"},
    "in_happy.jpg": {"mouth_open"}, "in_sad.jpg": {"gaze"}, "in_T1.jpg": {"tilted", "turned"},
    "in_rdj4.jpg": {"not_color"}, "in_group.jpg": {"multiple_faces"}, "ot_child.jpg": {"mouth_open"},
    "ot_fringe.jpg": {"fringe"}, "ot_hat.jpg": {"fringe", "headwear"},
}


def test_every_bad_frame_has_its_expected_problem_listed():
    assert set(EXPECTED) == set(BAD)


@pytest.fixture(scope="module")
def made(maker):
    """file -> (FinalPhoto or None, codes of the refusal and the frame's warnings, or of the photo's operator
    warnings)."""
    out = {}
    for d in LABELS:
        image = cv2.imread(str(FACES / d["file"]))
        a = maker.analyse_still(image)
        try:
            photo = maker.make(image, a)
            out[d["file"]] = (photo, {w.code for w in photo.operator_warnings})
        except KioskError:
            out[d["file"]] = (None, set(maker.last_refusal) | {w.code for w in a.warnings})
    return out


@pytest.mark.parametrize("name", GOOD)
def test_good_face_is_made_and_passes_check(made, analyser, policy, name):
    photo, codes = made[name]
    assert photo is not None, (name, codes)
    again = analyser.analyse(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR))
    problems = photo_problems(again, policy.photo, Thresholds()) + file_problems(photo.jpeg, policy.photo)
    assert problems == [], (name, [p.code for p in problems])
    assert abs(again.roll_deg) < 2.0  # turned upright (in_rdj1 is at 7 deg in the frame)
    if TRUTH[name] == "good":  # no false alarm for the operator either (good* may carry one: a look is due)
        assert codes == set(), (name, codes)


@pytest.mark.parametrize("name", BAD)
def test_bad_face_is_refused_or_flagged_by_name(made, name):
    photo, codes = made[name]
    assert codes & EXPECTED[name], (name, "made" if photo else "refused", codes)


def test_made_photos_pass_check(made, analyser, policy):
    """make and check agree: every photo make produced (good or flagged) passes check on its own pixels."""
    for name, (photo, _) in made.items():
        if photo is None:
            continue
        again = analyser.analyse(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR))
        assert photo_problems(again, policy.photo, Thresholds()) == [], name


@pytest.fixture(scope="module")
def live(policy, maker):
    with FaceAnalyser(policy.photo, Thresholds().capture(), tracking=True) as analyser:
        yield analyser


def _live_run(name, policy, maker, live, seconds=5.0):
    """Feeds the face as a still subject who blinks once at 1.5 s; returns (time of the shot or None, photo)."""
    try:
        subject = Subject(cv2.imread(str(FACES / name)))
    except ValueError:  # no single face to cut out (a group): the still path covers it
        return None, None
    script = [(0.0, Pose()), (1.5, Pose()), (1.5 + 1e-3, Pose(eyes_closed=True)), (1.7, Pose(eyes_closed=True)),
              (1.7 + 1e-3, Pose()), (seconds, Pose())]
    camera = ScriptedCamera(subject, script, fps=15, size=(1920, 1080))
    session = PhotoSession(policy.photo, analyser=live, maker=maker)
    live._frames = live._others = 0
    camera.open()
    while (frame := camera.read()) is not None:
        session.feed(frame)
        if session.phase is Phase.REVIEW:
            return frame.timestamp, session.shots[0].photo
    return None, None


@pytest.mark.parametrize("name", [d["file"] for d in LABELS if d["truth"] == "good"])
def test_live_capture_of_a_good_face_within_5_seconds(policy, maker, live, name):
    at, photo = _live_run(name, policy, maker, live)
    assert at is not None and at <= 5.0, name
    assert len(photo.jpeg) <= policy.photo.max_bytes


@pytest.mark.parametrize("name", BAD)
def test_live_never_photographs_a_bad_face_unwarned(policy, maker, live, name):
    at, photo = _live_run(name, policy, maker, live, seconds=2.5)  # good faces are photographed by 1.8 s
    if photo is not None:
        assert {w.code for w in photo.operator_warnings} & EXPECTED[name], name


@pytest.fixture(scope="module")
def second_head(analyser):
    """A head-and-shoulders cut of another person (ot_idphoto) and the base frame (df_img33) with its analysis."""
    other = cv2.imread(str(FACES / "ot_idphoto.jpg"))
    points = analyser.analyse(other).landmarks
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    h, w = y1 - y0, x1 - x0
    head = other[int(y0 - 0.5 * h):int(y1 + 0.1 * h), int(x0 - 0.2 * w):int(x1 + 0.2 * w)]
    base = cv2.imread(str(FACES / "df_img33.jpg"))
    return head, base, analyser.analyse(base)


def _paste(frame, head, cx, cy, height):
    k = height / head.shape[0]
    small = cv2.resize(head, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    out = frame.copy()
    y, x = int(cy - small.shape[0] / 2), int(cx - small.shape[1] / 2)
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def test_second_face_beside_the_shoulder_inside_the_crop_is_refused(second_head, maker):
    head, base, a = second_head
    x0, y0, x1, y1 = a.crop
    with pytest.raises(KioskError) as err:
        maker.make(_paste(base, head, x1 - 90, y1 - 120, 180))
    assert "只能有考生一人" in err.value.message


@pytest.mark.parametrize("where", ["300 px head at the side", "220 px head further back"])
def test_another_head_in_the_frame_is_named_to_the_operator(second_head, maker, where):
    head, base, a = second_head
    frame = _paste(base, head, 250, 500, 300) if where.startswith("300") else _paste(base, head, 1700, 300, 220)
    photo = maker.make(frame)
    assert "bystander" in {w.code for w in photo.operator_warnings}


@pytest.mark.parametrize("name", ["in_rdj1.jpg", "in_jntm.jpg"])  # tilted 7 deg; turned 9.7 deg (warned)
def test_cli_make_output_passes_cli_check(tmp_path, name):
    """The commands themselves: `kiosk photo make` then `kiosk photo check` on its output (the defect: make
    produced photos check refused)."""
    import subprocess
    import sys

    def kiosk(*args):
        return subprocess.run([sys.executable, "-m", "ui.cli", "photo", *args, "--json"], capture_output=True,
                              text=True, timeout=120)

    out = tmp_path / "photo.jpg"
    made = kiosk("make", str(FACES / name), "-o", str(out))
    assert made.returncode == 0, made.stderr[-2000:]
    checked = kiosk("check", str(out))
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"], checked.stdout
    assert {w["code"] for w in json.loads(made.stdout)["operator_warnings"]} <= {"turned", "frame_edge"}


def test_open_eyes_are_never_told_to_open(policy, maker, live):
    """The defect: an ordinary face fed for 10 s at 15 fps got 请睁开眼睛 on 142 of 150 frames. df_img29 has the
    narrowest open eyes of the set (0.51); it sits still and never blinks: only the blink is asked for."""
    subject = Subject(cv2.imread(str(FACES / "df_img29.jpg")))
    camera = ScriptedCamera(subject, [(0.0, Pose()), (10.0, Pose())], fps=15, size=(1920, 1080))
    session = PhotoSession(policy.photo, analyser=live, maker=maker)
    live._frames = live._others = 0
    camera.open()
    messages = [session.feed(frame).message for frame in iter(camera.read, None)]
    assert len(messages) == 151 and "请睁开眼睛" not in messages
    assert messages[-1] == "请自然地眨一下眼睛"
