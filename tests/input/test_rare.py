"""Rare name characters on the real librime: typeable (昇, 龑, 䶮), reachable under the surname reading (郗 under xi),
placed behind everyday candidates, and candidates the fonts cannot draw left out (𫗭 under wei)."""
import pytest

from kiosk.fonts import CJK_FONT, Face, FontChain, chain
from kiosk.input import RARE_SLOT, arrange, unconverted
from kiosk.input.rare import RARE_CHARACTERS


@pytest.mark.parametrize("typed, chosen", [("sheng", "昇"), ("yan", "龑"), ("yan", "䶮"), ("xi", "郗")])
def test_issue_characters_are_typeable(engine, typed, chosen):
    engine.type(typed)
    assert chosen in engine.candidates  # first page
    assert engine.choose(chosen) == chosen  # committed as shown: the simplifier does not turn 昇 into 升


def test_every_rare_character_on_the_first_page_behind_everyday_ones(engine):
    for ch, code in RARE_CHARACTERS:
        engine.clear()
        engine.type(code)
        shown = engine.candidates
        assert ch in shown, (ch, code, shown)
        assert shown.index(ch) >= RARE_SLOT, (ch, code, shown)
        assert chain().drawable(ch), ch


def test_space_still_picks_the_everyday_character(engine):
    assert engine.type("xi ") == "系"
    assert engine.type("sheng ") == "生"


def test_liu_yan_as_a_name(engine):
    engine.type("liuyan")
    assert engine.choose("刘") == ""
    assert "䶮" in engine.candidates
    assert engine.choose("䶮") == "刘䶮"


def test_surname_reading_does_not_move_the_everyday_reading(engine):
    engine.type("dan")
    assert engine.candidates.index("单") < RARE_SLOT  # 单 is rare only under shan
    engine.clear()
    engine.type("shan")
    assert engine.candidates.index("单") >= RARE_SLOT


def test_undrawable_candidates_are_left_out(engine_factory):
    primary_only = FontChain((Face(CJK_FONT),))
    narrow = engine_factory(drawable=primary_only.drawable)
    narrow.type("wei")
    assert "𫗭" not in narrow.candidates and all(primary_only.drawable(c) for c in narrow.candidates)
    after = narrow.candidates[-1]
    assert narrow.select(len(narrow.candidates) - 1) == after  # display index maps to Rime's
    wide = engine_factory()  # the kiosk's chain: HanaMin B draws 𫗭, so it stays
    wide.type("wei")
    assert "𫗭" in wide.candidates and chain().drawable("𫗭")
    wide.clear()


def test_arrange_rules():
    page = ["龑", "眼", "演", "言", "烟", "\U0010fffd"]
    assert arrange(page, preedit="yan") == (1, 2, 3, 0, 4, 5)
    assert arrange(page, preedit="yan", drawable=chain().drawable) == (1, 2, 3, 0, 4)
    assert arrange(page, preedit="yan", first_page=False) == (0, 1, 2, 3, 4, 5)
    assert arrange(page, preedit="zhang") == (0, 1, 2, 3, 4, 5)
    assert unconverted("王jian guo") == "jianguo" and unconverted("lü") == "lv" and unconverted("刘") == ""
