"""The font fallback chain (kiosk/fonts.py) and its Kivy side (ui/glyphs.py): rare name characters drawn, not
boxes, in labels and text inputs, and the checker the screens' test runs over every label."""
import pytest

from kiosk.fonts import CJK_FONT, Face, FontChain, chain, drawable, missing_glyphs, missing_in

RARE_NAMES = ["刘䶮", "王𠈌", "张𫗭", "李昇", "郗龑"]  # Ext-A, Ext-B, Ext-C, URO names
NO_FACE = "\U0002ebf0"  # CJK Ext-I (Unicode 15.1): no font installed has it


def test_chain_order_and_primary_gap():
    assert [f.name for f in chain().faces] == ["wqy-microhei", "HanaMinA", "HanaMinB", "BabelStoneHan"]
    assert missing_in(CJK_FONT, "刘䶮") == "䶮"  # the defect: WQY Micro Hei lacks Ext-A


@pytest.mark.parametrize("name", RARE_NAMES)
def test_rare_names_drawable(name):
    assert drawable(name) and missing_glyphs(name) == ""


def test_runs_and_missing():
    runs = [(face.name if face else None, text) for face, text in chain().runs("刘䶮 a𠈌" + NO_FACE)]
    assert runs == [("wqy-microhei", "刘"), ("HanaMinA", "䶮 "), ("wqy-microhei", "a"), ("HanaMinA", "𠈌"),
                    (None, NO_FACE)]
    assert missing_glyphs("商丘" + NO_FACE + "\n\t ", NO_FACE) == NO_FACE
    assert not drawable(NO_FACE) and drawable(" \n")
    narrow = FontChain((Face(CJK_FONT), Face("/nonexistent.ttf")))
    assert [f.name for f in narrow.faces] == ["wqy-microhei"] and not narrow.drawable("䶮")
    assert chain().single_face("刘䶮").name == "HanaMinA" and chain().single_face("刘" + NO_FACE) is None


def test_markup_and_checker_on_labels(ui):
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    from ui.glyphs import fit_input, markup, markup_runs, set_text, undrawn

    assert markup("a[b]&") == "a&bl;b&br;&amp;"
    assert list(markup_runs(markup("刘䶮"), CJK_FONT)) == [(CJK_FONT, "刘"), (chain().faces[1].path, "䶮")]
    root = BoxLayout(orientation="vertical")
    fixed = [Label(font_name=CJK_FONT, font_size=48, color=(0, 0, 0, 1)) for _ in RARE_NAMES]
    for label, name in zip(fixed, RARE_NAMES):
        set_text(label, name)
    plain = Label(font_name=CJK_FONT, font_size=48, text="刘䶮", color=(0, 0, 0, 1))  # as the screens do today
    field = TextInput(font_name=CJK_FONT, font_size=48, text="刘䶮")
    for w in (*fixed, plain, field):
        root.add_widget(w)
    ui.show(root)
    found = undrawn(root)
    assert {id(w): chars for w, chars in found} == {id(plain): "䶮", id(field): "䶮"}
    fit_input(field)
    assert undrawn(field) == [] and field.font_name.endswith("HanaMinA.ttf")
    field.text = "刘"
    assert field.font_name == CJK_FONT
    field.text = "郗龑"
    set_text(plain, plain.text)
    assert undrawn(root) == []
    ui.frames(2)
    from .test_keyboard import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root.export_to_png(str(ARTIFACTS / "rare_names.png"))


def test_fallback_draws_the_glyph_not_a_box(ui):
    """Pixels: 䶮 through the chain differs from WQY's box for it, and matches HanaMin A drawing it alone."""
    from kivy.uix.label import Label

    from ui.glyphs import set_text

    def pixels(**kw):
        label = Label(font_size=64, **kw)
        label.texture_update()
        return label.texture.pixels

    boxed = pixels(text="䶮", font_name=CJK_FONT)
    chained = Label(font_size=64, font_name=CJK_FONT)
    set_text(chained, "䶮")
    chained.texture_update()
    assert chained.texture.pixels != boxed
    assert chained.texture.pixels == pixels(text="䶮", font_name=chain().faces[1].path)


def test_preload_reads_the_same_cmaps_in_a_child():
    from kiosk.fonts import Coverage

    preloaded = FontChain(chain().faces)
    preloaded.preload()
    for face in preloaded.faces:
        assert preloaded._coverage[face]._bits == Coverage(face)._load(), face.name
