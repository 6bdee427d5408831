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
    "rotated": (Pose(angle=16), "tilted"),  # beyond the 10 deg the crop is turned upright
    "blurred": (Pose(blur=5), "blurry"),
    "dark": (Pose(gain=0.35), "too_dark"),
    "overexposed": (Pose(gain=1.8), "too_bright"),
    "wrong_background": (Pose(backdrop=(230, 230, 230)), "background"),
    "side_lit": (Pose(side_light=1.0), "uneven_light"),
}


def test_painted_shut_eyes_measure_a_blink(subject, analyser):
    """The scripted subject's painted lids are not a real closed eye (the real ones of shared/faces are covered by
    test_faces.py), but the openness drops below the blink gate's share of the open value."""
    from kiosk.photo import Thresholds

    open_ = analyser.analyse(subject.render(Pose(), FRAME)).eye_open
    shut = analyser.analyse(subject.render(Pose(eyes_closed=True), FRAME)).eye_open
    assert shut < Thresholds().blink_ratio * open_, (open_, shut)


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


def test_landmarks_decoded_in_one_view_match_the_fields(subject, analyser):
    import cv2
    from mediapipe.framework.formats import landmark_pb2

    from kiosk.photo.analysis import landmark_points

    rgb = cv2.cvtColor(subject.render(Pose(), (480, 640)), cv2.COLOR_BGR2RGB)
    landmarks = analyser._mesh.process(rgb).multi_face_landmarks[0]
    slow = np.array([(p.x * 480, p.y * 640) for p in landmarks.landmark], np.float32)
    assert len(slow) == 478
    np.testing.assert_array_equal(landmark_points(landmarks, 480, 640), slow)
    other = landmark_pb2.NormalizedLandmarkList()  # another layout (visibility set): read field by field
    other.landmark.add(x=0.25, y=0.5, z=0.1, visibility=0.9)
    other.landmark.add(x=0.75, y=0.0)
    np.testing.assert_allclose(landmark_points(other, 100, 200), [[25, 100], [75, 0]])


@pytest.fixture(scope="module")
def tracker(policy):
    from kiosk.photo import FaceAnalyser

    with FaceAnalyser(policy.photo, tracking=True) as a:
        yield a


def test_tracking_gives_the_still_verdicts(subject, analyser, tracker):
    for pose, code in [(Pose(), None), (Pose(face_x=0.3), "move_left"), (Pose(angle=16), "tilted")]:
        frame = subject.render(pose, FRAME)
        for _ in range(4):
            a = tracker.analyse(frame)
        still = analyser.analyse(frame)
        assert a.faces == 1 and a.codes() == still.codes(), (pose, a.codes(), still.codes())
        assert code is None and a.ok or code in a.codes()
        assert a.head_ratio == pytest.approx(still.head_ratio, rel=0.03)


def test_tracking_counts_a_second_face_within_a_few_frames(subject, tracker):
    """FaceMesh follows one face; the face counter finds the second within count_every frames and keeps
    counting on every frame until it has gone."""
    half = subject.render(Pose(head=0.42), (640, 960))
    alone = np.hstack([half, subject.render(Pose(face_x=3.0), (640, 960))])  # the right half: backdrop only
    pair = np.hstack([half, half])
    for _ in range(3):  # the tracker moves from the last test's face to this one
        tracker.analyse(alone)
    for _ in range(2 * tracker.count_every):
        assert tracker.analyse(alone).faces == 1
    seen = [tracker.analyse(pair) for _ in range(tracker.count_every)]
    assert seen[-1].codes() == {"multiple_faces"} and seen[-1].faces == 2
    assert all(a.faces == 2 for a in seen[[a.faces for a in seen].index(2):])
    assert tracker.analyse(pair).faces_counted  # counted on every frame while two are seen
    assert tracker.analyse(alone).faces == 1  # gone: counted again at once


def test_a_stale_face_count_is_taken_again_before_the_photo(subject, tracker, maker):
    """The live analysis hands over a face count from an earlier frame; make() counts on the captured frame."""
    from kiosk.errors import KioskError

    half = subject.render(Pose(head=0.42), (640, 960))
    alone = np.hstack([half, subject.render(Pose(face_x=3.0), (640, 960))])
    for _ in range(3):
        a = tracker.analyse(alone)
    while a.faces_counted:
        a = tracker.analyse(alone)
    assert a.faces == 1
    assert maker.make(alone, a).jpeg
    with pytest.raises(KioskError) as err:
        maker.make(np.hstack([half, half]), a)
    assert "一人" in err.value.message


@pytest.mark.parametrize("beside", [True, False])
def test_face_count_on_the_worker_thread_or_after_facemesh_is_the_same(subject, policy, beside):
    """The count runs beside FaceMesh when a core is spare, after it otherwise: same frame, same verdict."""
    from kiosk.photo import FaceAnalyser

    half = subject.render(Pose(head=0.42), (640, 960))
    alone = np.hstack([half, subject.render(Pose(face_x=3.0), (640, 960))])
    pair = np.hstack([half, half])
    with FaceAnalyser(policy.photo, tracking=True, parallel_count=beside) as tracker:
        assert [tracker.analyse(alone).faces for _ in range(2 * tracker.count_every)] == [1] * 6
        seen = [tracker.analyse(pair) for _ in range(tracker.count_every)]
        assert seen[-1].faces == 2 and seen[-1].codes() == {"multiple_faces"}
        assert tracker.analyse(alone).faces == 1
        assert tracker.counts[beside] > 0 and tracker.counts[not beside] == 0


def test_scene_is_carried_only_from_a_still_face_and_never_for_long(subject, policy):
    """Tracking measures the person mask (the scene) afresh on one frame in scene_every, never on the frame that counts
    faces once running, and carries it only while the face stays put; sharpness is measured on every frame."""
    from kiosk.photo import FaceAnalyser

    still = subject.render(Pose(), FRAME)
    moved = subject.render(Pose(face_x=0.45), FRAME)
    blurred = subject.render(Pose(blur=5), FRAME)
    with FaceAnalyser(policy.photo, tracking=True, parallel_count=False) as tracker:
        frames = [tracker.analyse(still) for _ in range(4 * tracker.count_every)]
        run = 0
        for a in frames[1:]:
            run = run + 1 if a.carried else 0
            assert run < tracker.scene_every  # a fresh scene at least once in scene_every frames
        assert all(a.carried for a in frames[3:] if a.faces_counted)
        assert all(a.ok for a in frames)
        a = tracker.analyse(moved)  # the face moves: measured afresh whatever the schedule
        assert not a.carried and a.ok, a.codes()
        for _ in range(2 * tracker.count_every):  # blur shows on the very first frame
            a = tracker.analyse(blurred)
            assert "blurry" in a.codes()


def test_spare_core_reads_other_work_from_proc_stat(tmp_path, monkeypatch):
    import time

    from kiosk.photo.analysis import SpareCore

    stat = tmp_path / "stat"
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(time, "process_time", lambda: 0.0)

    def write(busy, idle):  # clock ticks (100 a second): user and idle
        stat.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 0\n")

    write(0, 0)
    probe = SpareCore(path=str(stat))
    probe.cpus = 2
    assert not probe()  # before the first window: no
    clock[0] += 1.0
    write(20, 180)  # others kept 0.2 of a core busy: a core is spare
    assert probe() and probe.others == pytest.approx(0.2)
    clock[0] += 0.05
    write(220, 180)
    assert probe()  # within the window: the last answer
    clock[0] += 0.95
    write(400, 180)  # both cores busy with other work
    assert not probe() and probe.others > 1.5
    stat.unlink()
    clock[0] += 1.0
    assert not probe()  # unreadable: no


def test_a_frame_refused_for_its_framing_skips_the_person_mask(subject, policy):
    """While the student is still moving into place (off centre: the guidance names that first), the last scene
    is carried instead of taking the person mask; the first frame ever is measured, and the scene is taken afresh
    as soon as the framing is right."""
    from kiosk.photo import FaceAnalyser

    with FaceAnalyser(policy.photo, tracking=True, parallel_count=False) as tracker:
        first = tracker.analyse(subject.render(Pose(face_x=0.22), FRAME))
        assert "move_left" in first.codes() and not first.carried and first.background
        moving = [tracker.analyse(subject.render(Pose(face_x=0.22 + 0.02 * i), FRAME)) for i in range(1, 8)]
        assert all("move_left" in a.codes() and a.carried for a in moving)
        steps = [tracker.analyse(subject.render(Pose(face_x=x), FRAME)) for x in (0.4, 0.44, 0.47, 0.5)]
        placed = next(a for a in steps if a.ok)  # the first frame that could be photographed
        assert not placed.carried


def test_the_person_mask_taken_beside_facemesh_agrees_with_the_one_after_it(subject, policy):
    """With a core spare, a still face's fresh scene is taken on the worker thread beside FaceMesh (this frame's
    pixels, the last frame's photo rectangle): the same measures as the scene taken after FaceMesh."""
    from kiosk.photo import FaceAnalyser

    still = subject.render(Pose(), FRAME)
    with FaceAnalyser(policy.photo, tracking=True, parallel_count=True) as beside, \
            FaceAnalyser(policy.photo, tracking=True, parallel_count=False) as after:
        pairs = [(beside.analyse(still), after.analyse(still)) for _ in range(3 * beside.scene_every)]
        assert beside.scenes_beside >= 2 and after.scenes_beside == 0
        for x, y in pairs:
            assert x.ok and y.ok and x.carried == y.carried
            assert abs(x.background["blue"] - y.background["blue"]) < 0.01 and abs(x.clutter - y.clutter) < 0.002
