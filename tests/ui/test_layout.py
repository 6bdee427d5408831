"""Layout at the three panel sizes, in a real Kivy window: every screen drawn with every glyph, touch targets of
at least 60 px, the palette's contrast, the field being typed into always visible above the keyboard (every field
of every form screen, landscape and portrait), the pick-lists of the category screen."""
import re

import pytest

from kiosk.session import Step
from ui import theme, tour


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from kiosk.config import TerminalConfig
    from ui.app import KioskApp

    from tests.support.kivy import Driver

    kiosk = KioskApp(TerminalConfig(), workdir=tmp_path_factory.mktemp("layout"), realtime_camera=False,
                     say=lambda _: None)
    driver = Driver(kiosk)
    try:
        yield driver
    finally:
        driver.close()


def test_palette_contrast_at_least_4_5():
    low = {name: round(theme.contrast(*pair), 2) for name, pair in theme.PAIRS.items()
           if theme.contrast(*pair) < theme.MIN_CONTRAST}
    assert low == {}


@pytest.mark.parametrize("size", theme.SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_screen_draws_every_glyph_with_big_targets(app, size):
    tour.resize(app.app, size)
    assert tuple(app.window.system_size) == size
    seen, problems = [], []
    for name, _screen in tour.screens(app.app):
        seen.append(name)
        problems += [f"{name}: {p}" for p in tour.check(app.app)]
    assert {s.value for s in tour.FLOW} <= set(seen)
    assert problems == []


FORM_STEPS = [Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT, Step.PASSWORD]


@pytest.mark.parametrize("size", [(1280, 800), (1080, 1920)], ids=["landscape", "portrait"])
def test_focused_field_stays_above_the_keyboard(app, size):
    from kivy.uix.scrollview import ScrollView

    d, kiosk = app, app.app
    tour.resize(kiosk, size)
    tour.demo_session(kiosk)
    hidden = []
    for step in FORM_STEPS:
        screen = tour.show(kiosk, step)
        for field in screen.inputs():
            d.tap(field)
            d.frames(3)
            board = kiosk.keyboard
            assert board.target is field and board.get_root_window() is not None
            _, board_top = board.to_window(board.x, board.top)
            _, header_bottom = screen.header.to_window(screen.header.x, screen.header.y)
            _, bottom = field.to_window(field.x, field.y)
            _, top = field.to_window(field.x, field.top)
            view = field.parent
            while not isinstance(view, ScrollView):
                view = view.parent
            _, view_bottom = view.to_window(view.x, view.y)
            _, view_top = view.to_window(view.x, view.top)
            if not (bottom >= max(board_top, view_bottom) - 1 and top <= min(header_bottom, view_top) + 1):
                hidden.append(f"{step.value} {field.hint_text or field.keyboard_layout}: {bottom:.0f}..{top:.0f} "
                              f"visible {max(board_top, view_bottom):.0f}..{min(header_bottom, view_top):.0f}")
        kiosk.hide_keyboard()
    assert hidden == [], "\n".join(hidden)


def test_number_fields_open_the_number_pads(app):
    kiosk = app.app
    tour.resize(kiosk, (1280, 800))
    tour.demo_session(kiosk)
    guardians = tour.show(kiosk, Step.GUARDIANS)
    assert {b.phone.input.keyboard_layout for b in guardians.blocks} == {"phone"}
    history = tour.show(kiosk, Step.HISTORY)
    assert {(r.start.input.keyboard_layout, r.end.input.keyboard_layout) for r in history.rows} == {("month", "month")}
    contact = tour.show(kiosk, Step.CONTACT)
    assert contact.phone.input.keyboard_layout == "phone"
    app.tap(contact.phone.input)
    assert kiosk.keyboard.layout == "phone"
    kiosk.hide_keyboard()
    # the home address comes from the card when the student has not typed one
    assert contact.address.text == kiosk.session.record.card.address


def test_pick_lists_for_category_school_and_every_relation(app):
    d, kiosk = app, app.app
    tour.resize(kiosk, (1280, 800))
    tour.demo_session(kiosk)
    category = tour.show(kiosk, Step.CATEGORY)
    # only the categories open on this (school) terminal now: never the designated-point ones
    assert "grade9" in category.category_choices and "return_hukou" not in category.category_choices
    assert category.category_choices["grade9"].state == "down"
    category.school.text = ""
    d.frames(2)
    assert category.school_choices  # the pulled schools
    name = next(iter(category.school_choices))
    d.tap(category.school_choices[name])
    assert category.school.text == name
    guardians = tour.show(kiosk, Step.GUARDIANS)
    for block in guardians.blocks:
        assert set(block.relations) >= {"父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "其他监护人"}
    d.tap(guardians.blocks[0].relations["祖父"])
    assert guardians.blocks[0].guardian().relation == "祖父"


def test_no_roster_line_above_the_school_field_without_a_roster(app):
    kiosk = app.app
    tour.demo_session(kiosk)
    kiosk.session.record = kiosk.session.record.model_copy(update={"school_code": "", "student_number": ""})
    category = tour.show(kiosk, Step.CATEGORY)
    assert category.roster_label.parent is None  # no 本类别不需要本校学籍 above a 学籍所在学校 field
    assert "本类别不需要本校学籍" not in [w.text for w in category.walk() if hasattr(w, "text")]


def test_history_rows_do_not_overlap_with_errors(app):
    kiosk = app.app
    tour.resize(kiosk, (1280, 800))
    tour.demo_session(kiosk)
    history = tour.show(kiosk, Step.HISTORY, error=True)
    app.frames(4)
    rows = history.rows
    assert len(rows) >= 2
    for upper, lower in zip(rows, rows[1:]):
        assert all(f.y >= upper.y - 1 for f in upper.fields().values())
        assert lower.top <= upper.y + 1, (lower.top, upper.y)
        assert upper.height >= max(f.height for f in upper.fields().values())


@pytest.mark.parametrize("size", [(1280, 800), (1080, 1920)], ids=["landscape", "portrait"])
def test_face_oval_sits_on_the_picture(app, size):
    import numpy as np

    kiosk = app.app
    tour.resize(kiosk, size)
    tour.demo_session(kiosk)
    photo = tour.show(kiosk, Step.PHOTO)
    kiosk.work.stop_photo()  # frames by hand, not the camera's
    photo.show_live()  # the tour shows the shot to choose; the oval is on the live pane
    state = type("State", (), {"message": "请向左移动", "code": "left", "progress": 0.3})()
    photo.show_frame(state, np.zeros((480, 640, 3), np.uint8))
    app.frames(4)
    image, (x, y, w, h) = photo.preview, photo.guide.ellipse
    iw, ih = image.norm_image_size
    assert abs((x + w / 2) - image.center_x) < 1  # centred on the picture shown, not on its box
    assert image.center_y - ih / 2 <= y and y + h <= image.center_y + ih / 2
    assert abs((y - (image.center_y - ih / 2)) / ih - 0.40) < 0.01


def test_screen_size_and_fullscreen_from_the_config():
    from kiosk.config import TerminalConfig
    from kiosk.errors import KioskError

    assert TerminalConfig().orientation == "landscape"
    assert TerminalConfig(screen_size="1080x1920").orientation == "portrait"
    assert theme.size_of(TerminalConfig(screen_size="1920x1080", fullscreen=True)) == (1920, 1080)
    with pytest.raises(ValueError):
        TerminalConfig(screen_size="big")
    with pytest.raises(KioskError):
        TerminalConfig.load(None, screen_size="1280*800")


# one space between a Chinese character and a digit; a wider gap (two spaces, U+3000) separates fields of a row
SPACED_NUMBER = re.compile(r"[\u3400-\u9fff\uff08-\uff1f] \d|\d [\u3400-\u9fff]")


def test_no_spaces_around_numbers_in_chinese_text(app):
    """Chinese sets numbers tight ("15秒后", not "15 秒后"): every text and hint of every widget, on every screen
    of the tour (the idle countdown, failures and operator screens included)."""
    from kivy.core.window import Window

    kiosk = app.app
    tour.resize(kiosk, (1280, 800))
    spaced = set()
    for name, _screen in tour.screens(kiosk):
        for root in list(kiosk.sm.screens) + list(Window.children):
            for widget in root.walk(restrict=True):
                for attr in ("text", "hint_text"):
                    value = getattr(widget, attr, None)
                    if isinstance(value, str) and SPACED_NUMBER.search(value):
                        spaced.add(f"{name}: {value!r}")
    assert kiosk.idle.countdown.seconds.text.startswith("15秒后")  # the tour shows the countdown at 15 s
    assert sorted(spaced) == [], "\n".join(sorted(spaced))


def test_the_tour_shows_the_photo_step_with_a_shot_to_choose(app):
    """Without a camera the tour still shows the photo step's choice state: the demo subject's shot (the real
    photo pipeline on the simulated camera's frames), its choice, the questions, 重新拍摄 and 使用选中的照片."""
    kiosk = app.app
    tour.resize(kiosk, (1280, 800))
    tour.demo_session(kiosk)
    photo = tour.show(kiosk, Step.PHOTO)
    assert photo._mode == "review" and len(photo.shot_choices) == 1 and photo.shot_choices[0].state == "down"
    assert len(photo.confirmations) == len(tour.demo_shot(kiosk).confirmations) > 0
    images = [w for w in photo.shots_box.walk(restrict=True) if getattr(w, "texture", None) is not None
              and type(w).__name__ == "Image"]
    assert images and tuple(images[0].texture.size) == tour.demo_shot(kiosk).image.shape[1::-1]
    assert photo.retake_button.parent is photo.footer and photo.use_button.parent is photo.footer
    assert photo.use_button.disabled  # every question answered first
    assert tour.check(kiosk) == []


@pytest.mark.parametrize("size", [(1280, 800), (1080, 1920)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("count", [1, 2])
def test_the_shots_to_choose_fill_their_pane(app, size, count):
    """Each shot as large as its pane allows (no empty half of the screen beside or beneath it), the shots never
    wider than the screen, and the heading says what to do now, not the live step's 请正对摄像头."""
    kiosk = app.app
    tour.resize(kiosk, size)
    tour.demo_session(kiosk)
    photo = tour.show(kiosk, Step.PHOTO)
    photo.show_shots([tour.demo_shot(kiosk)] * count, True)
    app.frames(4)
    images = [w for w in photo.shots_box.walk(restrict=True) if type(w).__name__ == "Image"]
    assert len(images) == count
    body_w = photo.body.width
    for image in images:
        shown_w, shown_h = image.norm_image_size
        room_h = photo.shots_box.height - theme.px(68)
        room_w = (body_w if size[1] > size[0] else body_w / 2) / count - photo.shots_box.spacing
        assert shown_h >= 0.95 * room_h or shown_w >= 0.95 * room_w  # limited by one side, not by a fixed box
        assert image.right <= photo.body.right + 1
    assert "摄像头" not in photo.prompt.text and "选择" in photo.prompt.text
    photo.show_live()
    assert photo.prompt.text == kiosk.session.prompt
    assert tour.check(kiosk) == []


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), *theme.SIZES], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_attract_drawing_stays_between_the_title_and_the_prompt(app, size):
    """A panel lower than the design's 800 px (1280x720, 1366x768 are common) gives the card drawing less room: it
    shrinks into its box instead of covering 考生基本信息采集 and 请将身份证放在感应区."""
    from ui.screens.start import CardPad

    kiosk = app.app
    tour.resize(kiosk, size)
    attract = tour.show(kiosk, Step.ATTRACT)
    app.frames(3)
    pad = next(w for w in attract.walk(restrict=True) if isinstance(w, CardPad))
    x0, y0, x1, y1 = pad.drawn
    # as large as one of its limits allows: 80% of the width, the design's 420 px, or the box's height
    assert x1 - x0 >= min(0.8 * pad.width, theme.px(420)) - 1 or y1 - y0 >= pad.height - 1
    assert pad.y - 0.5 <= y0 and y1 <= pad.top + 0.5 and pad.x <= x0 and x1 <= pad.right
    siblings = [w for w in pad.parent.children if w is not pad and getattr(w, "text", "")]
    for other in siblings:
        assert other.top <= pad.y + 0.5 or other.y >= pad.top - 0.5, other.text  # no label under the drawing
