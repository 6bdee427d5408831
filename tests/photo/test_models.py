"""Memory of the photo step (issue 13, item 9): one set of MediaPipe graphs for the terminal's live and still analysers
and the face count, and a simulated camera that keeps only the frames it shows again."""
import pytest

from drivers.camera import scripted
from drivers.camera.scripted import Pose, ScriptedCamera
from kiosk.photo import Phase, mesh
from kiosk.photo.session import PhotoModels

FRAME = (960, 1280)
SCRIPT = [(0, Pose(face_x=0.25)), (1.0, Pose(face_x=0.25)), (1.6, Pose()), (2.5, Pose()),
          (2.6, Pose(eyes_closed=True)), (2.7, Pose(eyes_closed=True)), (2.75, Pose()), (5.0, Pose())]


@pytest.fixture
def made(monkeypatch):
    """Every MediaPipe graph made while the test runs (the real graphs, counted as they are built)."""
    graphs = []
    for name in ("load_face_mesh", "load_face_detection", "load_segmentation"):
        real = getattr(mesh, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            graphs.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(mesh, name, counted)
    return graphs


def test_a_capture_runs_one_facemesh_one_segmenter_and_one_detector_shared_by_live_and_still(policy, subject, made):
    models = PhotoModels(policy.photo)
    try:
        live, maker = models.load()
        assert sorted(made) == ["load_face_detection", "load_face_mesh", "load_segmentation"]  # loaded ahead
        camera = ScriptedCamera(subject, SCRIPT, fps=15, size=FRAME)
        camera.open()
        with models.session(stable_seconds=0.5) as session:
            while (frame := camera.read()) is not None and session.phase is Phase.LIVE:
                session.feed(frame)
            assert len(session.shots) == 1  # the photo was cut, denoised and checked on the still analyser
        # the still analyser measured the finished photo (person mask) with the live analyser's graphs
        assert maker.still._segmenter is live._segmenter and maker.still.graphs is live.graphs
        assert sorted(made) == ["load_face_detection", "load_face_mesh", "load_segmentation"]  # nothing more
        maker.analyse_still(subject.render(Pose(), FRAME))  # a still image: its FaceMesh and the full-range detector
        assert sorted(made) == ["load_face_detection", "load_face_detection", "load_face_mesh", "load_face_mesh",
                                "load_segmentation"]
        assert {("face_mesh", True, 2), ("face_mesh", False, 1), ("detection", True)} <= set(live.graphs.loaded)
    finally:
        models.close()
    assert models.graphs is None


def test_the_scripted_camera_keeps_its_last_renders_only_and_renders_a_held_pose_once(subject, monkeypatch):
    renders = []
    real = scripted.Subject.render

    def counted(self, pose, size=(1280, 960)):
        renders.append(pose)
        return real(self, pose, size)

    monkeypatch.setattr(scripted.Subject, "render", counted)
    camera = ScriptedCamera(subject, SCRIPT, fps=15, size=FRAME)
    camera.open()
    frames = 0
    while (frame := camera.read()) is not None:
        frames += 1
        assert len(camera._rendered) <= scripted.RENDERED_KEPT
        frame.image[:] = 0  # a frame is the caller's copy: the kept render is untouched
    assert frames == 76
    held = [p for p in renders if p in (Pose(face_x=0.25), Pose(), Pose(eyes_closed=True))]
    # each hold renders once (the centre too, seen again after the blink: still kept)
    assert held == [Pose(face_x=0.25), Pose(), Pose(eyes_closed=True)]
    assert len(renders) < frames / 2
    assert camera.read() is None and (camera.subject.render(Pose(), FRAME) == camera._rendered[Pose()]).all()
    camera.close()  # between students: nothing kept
    assert not camera._rendered


def test_mediapipe_is_imported_without_matplotlib_and_its_graphs_run():
    """MediaPipe's package imports its drawing helpers, and so matplotlib.pyplot (31 MB, 0.3 s): the kiosk's import
    leaves them out, in a fresh interpreter as the kiosk starts, and the face models still run."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, numpy as np\n"
            "from kiosk.photo.mesh import Graphs, import_mediapipe\n"
            "mp = import_mediapipe()\n"
            "graphs = Graphs()\n"
            "found = graphs.detection().process(np.zeros((240, 320, 3), np.uint8)).detections\n"
            "print('matplotlib' in sys.modules, found, hasattr(mp.solutions, 'face_mesh'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "None", "True"]
