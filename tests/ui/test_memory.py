"""Memory flat over registrations (issue 13, item 9): the simulated camera and the preview texture are made once and
reused for every student; the face graphs are a student's (built once the card is read, closed once the student has
gone); nothing of a student's photo session stays referenced after it ends; no label keeps a second copy of its
rendered text."""
import gc
import weakref

import numpy as np

from kiosk.session import Step

from .uiflow import lay_card, walk_to


def _photo_session(d):
    """The live photo step up to its auto-capture, the shots chosen and confirmed by touch; the document step."""
    app = d.app
    lay_card(d)
    app.devices.card_reader.simulate("remove")
    walk_to(d, Step.PHOTO)
    d.until(lambda: app.work.feeder is not None and app.work.feeder.shots(), 60, "the auto-capture")
    d.on("photo")
    d.frames(2)
    feeder = app.work.feeder
    session = feeder.session
    kept = {"feeder": weakref.ref(feeder), "session": weakref.ref(session)}
    for i, shot in enumerate(session.shots):
        kept[f"shot {i}"], kept[f"photo {i}"] = weakref.ref(shot), weakref.ref(shot.photo)
    photo = d.screen
    models = (session.analyser, session.maker, app.devices.open_camera(), photo._texture)
    assert photo._texture is not None  # frames were shown
    for choice in photo.confirmations:
        d.tap(choice)
    d.tap(photo.use_button)
    d.on("document")
    return kept, models


def test_a_finished_session_is_collected_and_its_face_graphs_closed(kiosk_ui):
    from kiosk.photo import match
    from ui.photo_feeder import models_for

    d, app = kiosk_ui, kiosk_ui.app
    photo_models = models_for(app.session.policy.photo)
    first, models = _photo_session(d)
    matcher = match._matcher()
    matcher.points(np.zeros((64, 64, 3), np.uint8))  # the document step's matcher ran: its graphs are made
    assert photo_models.graphs is not None and matcher._graphs.loaded
    d.tap(d.screen.exit_button)  # 退出，清除本人信息
    d.on("attract")
    d.until(lambda: photo_models.graphs is None and not matcher._graphs.loaded, 10, "the face graphs closed")
    assert match._shared is None  # the matcher itself let go (its network too): the next match makes one

    def alive() -> dict:
        gc.collect()
        return {name: ref() for name, ref in first.items() if ref() is not None}

    try:
        d.until(lambda: not alive(), 10, "the session's objects collected")  # the feeder's thread ends first
    except AssertionError:
        kept = alive()
        holders = {name: sorted({type(r).__name__ for r in gc.get_referrers(obj)}) for name, obj in kept.items()}
        raise AssertionError(f"still referenced by: {holders}") from None
    lay_card(d)  # the next student: their face graphs are built while they check their details
    d.until(lambda: photo_models.graphs is not None, 10, "the face graphs built at the card read")
    d.tap(d.screen.exit_button)
    d.on("attract")
    _second, again = _photo_session(d)  # the same camera and texture; the analysers made again
    assert again[2:] == models[2:] and again[0] is not models[0]


def test_a_rendered_label_keeps_its_texture_only(kiosk_ui):
    """Kivy's SDL2 text provider kept every label's rendered surface beside its texture (14 MB after one
    registration, bench_ui); the texture is the same."""
    from kivy.uix.label import Label

    d = kiosk_ui
    d.on("attract")
    label = Label(text="考生基本信息采集", font_size=40)
    label.texture_update()
    assert label.texture is not None and label.texture.size[0] > 100
    pixels = np.frombuffer(label.texture.pixels, np.uint8).reshape(-1, 4)  # rendered as the texture is first used
    assert pixels[:, 3].max() == 255 and (pixels[:, 3] == 0).mean() > 0.3  # the text drawn, on transparent
    assert not hasattr(label._label, "_surface")


def test_a_new_photo_spec_gets_new_models_and_the_old_ones_close():
    import time

    from kiosk.policy import get_policy
    from ui.photo_feeder import models_for

    spec = get_policy("henan-2024").photo
    first = models_for(spec)
    assert models_for(spec) is first  # one set for the terminal's life
    with first.session() as _session:  # a student is being photographed when a new policy arrives
        other = models_for(spec.model_copy(update={"head_ratio": spec.head_ratio * 0.99}))
        assert other is not first and first._models is not None  # not closed under the student
    deadline = time.monotonic() + 10
    while first._models is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first._models is None  # closed once the session let go
    assert models_for(spec) is not other


_FREED_BUFFERS = """
import sys
from pathlib import Path

import numpy as np

if sys.argv[1] == "tuned":
    from ui.commands.run import tune_malloc

    assert tune_malloc()


def heap_mb():
    rss, name = 0, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            name = parts[5] if len(parts) > 5 else ""
        elif parts and parts[0] == "Rss:" and name == "[heap]":
            rss += int(parts[1])
    return rss / 1024


big = np.ones(16 << 20, np.uint8)  # a large temporary, freed: glibc's own threshold would rise to its size
del big
kept = [np.ones(6 << 20, np.uint8) for _ in range(8)]  # 48 MB of 6 MB buffers (a photo step's temporaries)
del kept[:7]  # all freed but the last, which holds the heap's top in place
print(round(heap_mb()))
"""


def test_kiosk_malloc_gives_freed_multi_mb_buffers_back():
    """`kiosk run --ui` fixes glibc's mmap threshold: buffers of a few MB freed after a large one are mapped and
    given back, not left resident in the heap (as they are with glibc's dynamic threshold)."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])

    def heap_after(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _FREED_BUFFERS, mode], capture_output=True, text=True, cwd=root,
                             timeout=60, check=True)
        return int(out.stdout.split()[-1])

    assert heap_after("plain") >= 40  # glibc's default: the seven freed 6 MB buffers stay in the heap
    assert heap_after("tuned") <= 20


def _textured(screen) -> tuple[int, int]:
    """(labels with text, of them with a texture) on a screen."""
    from kivy.uix.label import Label

    labels = [w for w in screen.walk(restrict=True) if isinstance(w, Label) and w.text]
    return len(labels), sum(w.texture is not None for w in labels)


def test_the_screens_of_a_student_give_their_label_textures_back_and_render_again_when_shown(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    lay_card(d)
    walk_to(d, Step.CATEGORY)
    identity = app.sm.get_screen("identity")
    shown = _textured(identity)
    assert shown[0] > 5 and shown[1] == shown[0]
    d.tap(d.screen.exit_button)
    d.on("attract")
    assert _textured(identity)[1] == 0  # nothing of it kept while nobody sees it
    assert _textured(app.sm.get_screen("attract"))[1] > 0
    lay_card(d)
    d.frames(1)
    assert _textured(identity) == shown  # every label rendered again as its screen is entered


def test_any_screen_released_renders_its_labels_again_when_made_current(kiosk_ui):
    """Operator mode adds its own screens: whichever screen becomes current, released labels render before it is
    drawn (no blank label)."""
    from ui import textures

    d, app = kiosk_ui, kiosk_ui.app
    d.on("attract")
    screen = app.sm.get_screen("operator_login")
    app.sm.current = screen.name
    d.frames(1)
    shown = _textured(screen)
    assert shown[0] > 0 and shown[1] == shown[0]
    app.sm.current = "attract"
    assert textures.release(screen) == shown[0] and _textured(screen)[1] == 0
    app.sm.current = screen.name
    assert _textured(screen) == shown


def test_the_school_buttons_offered_to_a_student_are_not_kept_for_the_next(kiosk_ui):
    """The category screen keeps its category and claim buttons (the policy's); the school buttons offered as the
    student types come from the roster and would add up to all of its schools: they go with the student."""
    d, app = kiosk_ui, kiosk_ui.app
    lay_card(d)
    walk_to(d, Step.CATEGORY)
    screen = app.sm.get_screen("category")
    screen.school_names = [f"测试学校{i}" for i in range(20)]
    for typed in ("测试学校1", "测试学校2", ""):
        screen.school.text = typed
    built = {key[0] for key in screen._built}
    assert {"category", "school"} <= built and len([k for k in screen._built if k[0] == "school"]) > 6
    d.tap(d.screen.exit_button)
    d.on("attract")
    assert {key[0] for key in screen._built} == built - {"school"}
