"""Numeric pads, stroke picker and handwriting pad on a real (offscreen) Kivy window, and the pads' typing rules."""
import pytest

from ui import pads
from ui.glyphs import undrawn
from ui.keyboard import FONT, STROKE_KEY, HANDWRITING_KEY, OnScreenKeyboard

from .test_keyboard import ARTIFACTS, tap_keys


def form(ui, kb):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.textinput import TextInput

    root = BoxLayout(orientation="vertical")
    field = TextInput(font_name=FONT, font_size=36, size_hint_y=None, height=80, multiline=False)
    root.add_widget(field)
    root.add_widget(BoxLayout())
    root.add_widget(kb)
    return root, field


def shot(root, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root.export_to_png(str(ARTIFACTS / name))


@pytest.mark.parametrize("pad, keys, expected", [
    ("phone", "0370-12345678999", "0370-12345678"),  # 13 characters at most
    ("phone", "13800138000", "13800138000"),
    ("month", "202109", "2021-09"),
    ("month", "2021-099", "2021-09"),  # the dash is typed for the student; extra digits refused
    ("date", "20090315", "2009-03-15"),
    ("id", "41142320090315123X", "41142320090315123X"),
])
def test_typing_rules(pad, keys, expected):
    text = ""
    for key in keys:
        text = pads.typed(pad, text, key)
    assert text == expected


def test_erasing_a_date_takes_the_dash_with_it():
    assert pads.erased("month", "2021-0") == "2021"
    assert pads.erased("month", "2021-") == "202"
    assert pads.erased("date", "2009-03-1") == "2009-03"
    assert pads.erased("phone", "0370-") == "0370"


@pytest.mark.parametrize("layout", ["phone", "month", "date"])
def test_pads_on_screen(ui, layout):
    kb = OnScreenKeyboard(engine=False)
    root, field = form(ui, kb)
    kb.set_target(field, layout=layout)
    ui.show(root)
    assert not any(k in kb.keys for k in "abcxyz")
    assert ("-" in kb.keys) == (layout == "phone")
    typed = {"phone": "0370-12345678", "month": "202109", "date": "20090315"}[layout]
    tap_keys(ui, kb, typed)
    assert field.text == {"phone": "0370-12345678", "month": "2021-09", "date": "2009-03-15"}[layout]
    ui.tap(kb.keys["backspace"])
    assert field.text == {"phone": "0370-1234567", "month": "2021-0", "date": "2009-03-1"}[layout]
    assert kb.caption.text == pads.CAPTION[layout]
    assert undrawn(root) == []
    shot(root, f"pad_{layout}.png")


def test_stroke_picker_reaches_ext_a(ui, engine):
    kb = OnScreenKeyboard(engine=engine)
    root, field = form(ui, kb)
    kb.set_target(field)
    ui.show(root)
    ui.tap(kb.keys["strokes"])
    assert kb.layout == "strokes" and kb.keys["stroke:h"].text == "一"
    tap_keys(ui, kb, [f"stroke:{c}" for c in "hpznphhpn"])  # 䶮 by stroke order
    texts = [c.value for c in kb.candidate_keys]
    assert "䶮" in texts
    assert undrawn(root) == []  # the candidate is drawn by a fallback face
    shot(root, "strokes.png")
    ui.tap(kb.candidate_keys[texts.index("䶮")])
    assert field.text == "䶮" and kb.candidate_keys == []
    assert field.font_name != FONT and undrawn(field) == []  # the field switched to a face that has 䶮
    ui.tap(kb.keys["keyboard"])
    assert kb.layout == "text"


def test_handwriting_pad_recognizes_strokes(ui, engine):
    from kivy.tests.common import UnitTestTouch

    kb = OnScreenKeyboard(engine=engine)
    root, field = form(ui, kb)
    kb.set_target(field)
    ui.show(root)
    assert kb.keys["handwriting"].text == HANDWRITING_KEY and kb.keys["strokes"].text == STROKE_KEY
    ui.tap(kb.keys["handwriting"])
    pad = kb.pad
    assert kb.layout == "handwriting" and pad.width >= 300 and pad.get_root_window() is not None

    def draw(points):  # pad fractions, y downwards; a finger moving across the pad
        to = [pad.to_window(pad.x + fx * pad.width, pad.top - fy * pad.height) for fx, fy in points]
        touch = UnitTestTouch(*to[0])
        touch.touch_down()
        for x, y in to[1:]:
            touch.touch_move(x, y)
        touch.touch_up()
        ui.frames(1)

    steps = [i / 10 for i in range(11)]
    draw([(0.1 + 0.8 * t, 0.5) for t in steps])  # 一
    draw([(0.5, 0.1 + 0.8 * t) for t in steps])  # 丨
    texts = [c.value for c in kb.candidate_keys]
    assert texts[0] == "十", texts
    shot(root, "handwriting.png")
    ui.tap(kb.keys["backspace"])  # 删除 takes back the last stroke
    assert len(pad.strokes) == 1
    draw([(0.5, 0.1 + 0.8 * t) for t in steps])
    ui.tap(kb.candidate_keys[0])
    assert field.text == "十" and pad.strokes == [] and kb.candidate_keys == []


def test_handwriting_pad_opens_again_after_pinyin(ui, engine):
    """手写, back to 拼音, 手写 again: the same pad, moved to the new layout (it stayed in its old holder)."""
    kb = OnScreenKeyboard(engine=engine)
    root, field = form(ui, kb)
    kb.set_target(field)
    ui.show(root)
    ui.tap(kb.keys["handwriting"])
    pad = kb.pad
    ui.tap(kb.keys["keyboard"])
    assert kb.layout == "text"
    ui.tap(kb.keys["handwriting"])
    assert kb.layout == "handwriting" and kb.pad is pad and pad.get_root_window() is not None
