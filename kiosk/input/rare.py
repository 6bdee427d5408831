"""Name characters the stock luna_pinyin_simp data hides, typed by their reading in names.

Rime's Simplified-output filter turns characters that are standard in names into others (昇 -> 升, 龑 -> 䶮),
surnames are filed only under another reading (郗 only under chi, 解 under jie, 尉 under wei) and others sit pages
down the list (䶮 78th under yan). Each pair below was measured on luna_pinyin_simp with librime 1.8.5: without this
table the character is missing under the reading or beyond the third page. The engine offers them on the first
page, after the everyday candidates (kiosk.input.engine.arrange), at most three per reading so that page stays
useful. Candidates go through custom_phrase, which the simplifier leaves alone (excluded_types: user_table).
"""
RARE_CHARACTERS: tuple[tuple[str, str], ...] = tuple((pair[0], pair[1:]) for pair in """
昇sheng 陞sheng 龑yan 䶮yan 琰yan 郗xi 晞xi 頔di 甯ning 解xie 尉yu 彧yu 钰yu 俟qi 暐wei 韡wei
祎yi 懿yi 燚yi 琎jin 区ou 仇qiu 单shan 查zha 盖ge 万mo 禤xuan 甡shen 晧hao 垚yao 妘yun 繁po 句gou
""".split())

RARE = frozenset(ch for ch, _ in RARE_CHARACTERS)


def rare_for(letters: str) -> frozenset[str]:
    """The rare characters whose reading starts the unconverted letters (单 is rare under shan, not under dan)."""
    return frozenset(ch for ch, code in RARE_CHARACTERS if letters.startswith(code))
