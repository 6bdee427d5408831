"""The on-screen keyboard on a real (offscreen) Kivy window: taps on the real buttons, text in a TextInput."""
from pathlib import Path

import pytest

from ui.keyboard import BACKSPACE, CONFIRM, FONT, MIN_TOUCH, OnScreenKeyboard

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "input"


@pytest.fixture
def screen(ui, engine):
    """A field above a keyboard, as on a form page."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.textinput import TextInput

    root = BoxLayout(orientation="vertical")
    field = TextInput(font_name=FONT, font_size=36, size_hint_y=None, height=80, multiline=False)
    keyboard = OnScreenKeyboard(engine=engine)
    root.add_widget(field)
    root.add_widget(BoxLayout())
    root.add_widget(keyboard)
    keyboard.set_target(field)
    ui.show(root)
    return ui, keyboard, field


def tap_keys(ui, keyboard, keys):
    for key in keys:
        ui.tap(keyboard.keys[key])


def test_zhang_then_first_candidate(screen):
    ui, kb, field = screen
    tap_keys(ui, kb, "zhang")
    assert field.text == ""  # still composing
    assert kb.bar.preedit.text == "zhang"
    assert [c.text for c in kb.candidate_keys][:5].count("张") == 1
    ui.tap(kb.candidate_keys[0])
    assert field.text == "张"
    assert kb.candidate_keys == []


def test_wang_then_jianguo_with_paging(screen):
    ui, kb, field = screen
    tap_keys(ui, kb, "wangjianguo")
    for _ in range(5):
        texts = [c.text for c in kb.candidate_keys]
        if "王" in texts:
            break
        ui.tap(kb.bar.next)
    ui.tap(kb.candidate_keys[texts.index("王")])
    assert field.text == "" and kb.bar.preedit.text.startswith("王")
    texts = [c.text for c in kb.candidate_keys]
    ui.tap(kb.candidate_keys[texts.index("建国")])
    assert field.text == "王建国"


def test_backspace_edits_composition_then_field(screen):
    ui, kb, field = screen
    tap_keys(ui, kb, "shangqiux")
    ui.tap(kb.keys["backspace"])
    assert kb.engine.state.raw_input == "shangqiu"
    ui.tap(kb.candidate_keys[0])
    assert field.text == "商丘"
    ui.tap(kb.keys["backspace"])
    assert field.text == "商"


def test_space_confirm_digits_in_chinese_mode(screen):
    ui, kb, field = screen
    confirmed = []
    kb.bind(on_confirm=lambda _kb, target: confirmed.append(target))
    tap_keys(ui, kb, "zhang")
    ui.tap(kb.keys["space"])  # space picks the first candidate
    assert field.text == "张"
    tap_keys(ui, kb, "san")
    ui.tap(kb.keys["confirm"])  # confirm while composing: the letters as typed
    assert field.text == "张san"
    tap_keys(ui, kb, "li")
    ui.tap(kb.keys["3"])  # a digit ends the composition with the first candidate
    assert field.text.startswith("张san") and field.text.endswith("3") and len(field.text) == 6
    assert confirmed == []
    ui.tap(kb.keys["confirm"])
    assert confirmed == [field]


def test_english_mode_and_caps(screen):
    ui, kb, field = screen
    assert kb.keys["mode"].text.startswith("[b]中")
    assert kb.keys["caps"].disabled  # capitals only in 英
    ui.tap(kb.keys["mode"])
    assert kb.mode == "en" and kb.keys["mode"].text.startswith("[b]英")
    tap_keys(ui, kb, "ab")
    ui.tap(kb.keys["caps"])
    assert kb.keys["a"].text == "A"
    tap_keys(ui, kb, "c1")
    ui.tap(kb.keys["space"])
    ui.tap(kb.keys["·"])
    assert field.text == "abC1 ·"
    assert kb.candidate_keys == []
    ui.tap(kb.keys["mode"])
    assert kb.mode == "zh" and kb.keys["a"].text == "a"


def test_switching_mode_commits_composition(screen):
    ui, kb, field = screen
    tap_keys(ui, kb, "shangqiu")
    ui.tap(kb.keys["mode"])
    assert field.text == "商丘" and kb.mode == "en"


def test_reset_and_new_target(screen):
    from kivy.uix.textinput import TextInput

    ui, kb, field = screen
    tap_keys(ui, kb, "zhang")
    kb.reset()
    ui.frames(1)
    assert kb.candidate_keys == [] and not kb.engine.composing and kb.mode == "zh"
    other = TextInput()
    tap_keys(ui, kb, "li")
    kb.set_target(other)  # an unfinished composition does not leak into the next field
    assert kb.candidate_keys == [] and other.keyboard_mode == "managed"
    assert other.focus and not field.focus
    tap_keys(ui, kb, "shangqiu")
    ui.tap(kb.candidate_keys[0])
    assert other.text == "商丘" and field.text == ""


@pytest.mark.parametrize("layout, typed, expected", [
    ("numeric", ["1", "3", "8", "0", "0", "1", "3", "8", "0", "0", "0", "backspace", "0"], "13800138000"),
    ("id", ["4", "1", "1", "4", "X"], "4114X"),
])
def test_numeric_layouts(ui, layout, typed, expected):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.textinput import TextInput

    root = BoxLayout(orientation="vertical")
    field = TextInput(font_name=FONT, size_hint_y=None, height=80)
    kb = OnScreenKeyboard(engine=False)
    root.add_widget(field)
    root.add_widget(BoxLayout())
    root.add_widget(kb)
    kb.set_target(field, layout=layout)
    ui.show(root)
    assert not any(k in kb.keys for k in "abcxyz")
    assert ("X" in kb.keys) == (layout == "id")
    tap_keys(ui, kb, typed)
    assert field.text == expected


def test_without_pinyin_letters_and_digits_still_work(ui):
    from kivy.uix.textinput import TextInput

    field = TextInput(font_name=FONT, size_hint_y=None, height=80)
    kb = OnScreenKeyboard(engine=False)
    kb.set_target(field)
    ui.show(kb)
    assert kb.mode == "en" and kb.keys["mode"].disabled and not kb.pinyin_available
    tap_keys(ui, kb, "wang1")
    assert field.text == "wang1"


def walk(widget):
    yield widget
    for child in widget.children:
        yield from walk(child)


@pytest.mark.parametrize("layout", ["text", "numeric", "id", "phone", "month", "date", "strokes", "handwriting"])
def test_touch_targets_and_font(ui, engine, layout):
    from kivy.uix.label import Label

    kb = OnScreenKeyboard(engine=engine, layout=layout)
    ui.show(kb)
    if layout == "text":
        kb.engine.type("shangqiu")
        kb._show()
        ui.frames(2)
    visible = [k for k in kb.keys.values() if k.opacity] + kb.candidate_keys
    for key in visible:
        assert key.width >= MIN_TOUCH and key.height >= MIN_TOUCH, (key.text, key.size)
    labels = [w for w in walk(kb) if isinstance(w, Label)]
    assert labels and all(w.font_name == FONT for w in labels)
    from ui.glyphs import undrawn

    assert undrawn(kb) == []  # every key label, hint and candidate drawn (no box)
    assert BACKSPACE in {k.text for k in kb.keys.values()} and CONFIRM in {k.text for k in kb.keys.values()}


def test_screenshot(screen):
    """artifacts/input/keyboard.png: the keyboard composing 'zhang', candidates shown. Look at it."""
    ui, kb, field = screen
    tap_keys(ui, kb, "shangqiu")
    ui.tap(kb.candidate_keys[0])
    tap_keys(ui, kb, "zhang")
    ui.frames(3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "keyboard.png"
    kb.export_to_png(str(out))
    ui.frames(1)
    assert out.stat().st_size > 10_000
    from kivy.core.image import Image as CoreImage

    image = CoreImage(str(out), keep_data=True)
    assert image.size == (int(kb.width), int(kb.height))
    # Not a black frame: the board's light grey is in the corner.
    r, g, b, _ = image.read_pixel(2, 2)
    assert min(r, g, b) > 0.7


def test_u_umlaut_hint(screen):
    from ui.keyboard import V_HINT

    ui, kb, field = screen
    assert kb.bar.preedit.text == V_HINT and "ü" in kb.keys["v"].text
    tap_keys(ui, kb, "lv")
    assert kb.bar.preedit.text == "lü" and "吕" in [c.value for c in kb.candidate_keys]
    ui.tap(kb.candidate_keys[[c.value for c in kb.candidate_keys].index("吕")])
    assert field.text == "吕" and kb.bar.preedit.text == V_HINT
    ui.tap(kb.keys["mode"])
    assert kb.bar.preedit.text == "" and kb.keys["v"].text == "v"


def test_rare_name_typed_and_drawn(screen):
    """刘䶮: 䶮 is offered under yan, drawn by a fallback face in the candidate bar and in the field (no box)."""
    from ui.glyphs import undrawn

    ui, kb, field = screen
    tap_keys(ui, kb, "liuyan")
    ui.tap(kb.candidate_keys[[c.value for c in kb.candidate_keys].index("刘")])
    texts = [c.value for c in kb.candidate_keys]
    assert "䶮" in texts and "龑" in texts and texts.index("䶮") >= 3  # behind 眼 演 言
    root = kb.parent
    assert undrawn(root) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root.export_to_png(str(ARTIFACTS / "keyboard_rare.png"))
    ui.tap(kb.candidate_keys[texts.index("䶮")])
    assert field.text == "刘䶮"
    assert field.font_name.endswith("HanaMinA.ttf") and undrawn(root) == []
    for _ in range(2):
        ui.tap(kb.keys["backspace"])
    assert field.text == "" and field.font_name == FONT  # back to the primary face


def test_labels_scale_with_the_panel(ui, engine):
    """At 1920x1080 (ui.theme SCALE 1.35) every label of the keyboard grows with its keys: letter keys, the
    candidate bar (composition and candidates), the stroke picker, the numeric pads' caption and the handwriting
    pad's ink, against the same keyboard built for 1280x800."""
    from kivy.uix.textinput import TextInput

    from kiosk.config import TerminalConfig
    from ui import theme

    def measure(size: str) -> dict:
        scale = theme.set_scale(TerminalConfig(screen_size=size))
        field = TextInput(multiline=False)
        board = OnScreenKeyboard(engine=engine, key_height=theme.px(64))
        board.set_target(field)
        ui.show(board)
        tap_keys(ui, board, "wei")
        sizes = {"letter": board.keys["a"].font_size, "preedit": board.bar.preedit.font_size,
                 "candidate": board.candidate_keys[0].font_size, "candidate width": board.candidate_keys[0].width,
                 "bar": board.bar.height, "v hint": board.keys["v"].text, "mode": board.keys["mode"].text}
        board.layout = "strokes"
        ui.frames(2)
        sizes["stroke"] = board.keys["stroke:h"].font_size
        board.layout = "phone"
        ui.frames(2)
        sizes["caption"] = board.caption.font_size
        board.layout = "handwriting"
        ui.frames(2)
        sizes["pad"] = board.pad.width
        engine.reset()
        return scale, sizes

    try:
        (small, at_800), (large, at_1080) = measure("1280x800"), measure("1920x1080")
    finally:
        theme.set_scale(TerminalConfig())
    assert small == 1.0 and large == 1.35
    for name in ("letter", "preedit", "candidate", "candidate width", "bar", "stroke", "caption", "pad"):
        assert at_1080[name] == pytest.approx(at_800[name] * 1.35, rel=0.02), name
    assert "[size=24]" in at_1080["v hint"] and "[size=27]" in at_1080["mode"]  # 18 and 20 design px, scaled
