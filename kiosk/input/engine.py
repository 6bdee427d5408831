"""The input engine as the keyboard sees it: a Protocol, the state it shows, and the UI-free rules that shape a
page of candidates (only what the fonts can draw; rare name characters placed after the everyday ones).

Implementations live outside the core: drivers/input/rime (librime through ctypes). Nothing here loads a native
library or imports Kivy.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kiosk.errors import KioskError

from .rare import RARE_CHARACTERS, rare_for

RARE_SLOT = 3  # rare characters are shown from this position of the first page: space still picks 西 for "xi"

_PHRASES_HEADER = """\
# Rime table
# coding: utf-8
# Written by the kiosk from the terminal's data: phrase<TAB>code<TAB>weight.
"""


class PinyinUnavailable(KioskError):
    """The pinyin engine or its data cannot be loaded: the keyboard falls back to letters and digits."""

    def __init__(self, detail: str):
        super().__init__("拼音输入法无法启动，目前只能输入字母和数字，请联系技术人员", detail=detail)


@dataclass(frozen=True)
class InputState:
    """What the keyboard shows: the composition and the current page of candidates."""

    raw_input: str = ""  # the letters typed so far ("wangjianguo")
    preedit: str = ""  # the composition as shown ("王jian guo" once 王 is chosen)
    candidates: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    page_no: int = 0
    is_last_page: bool = True
    highlighted: int = 0

    @property
    def composing(self) -> bool:
        return bool(self.raw_input or self.preedit)


@runtime_checkable
class InputEngine(Protocol):
    """One input session: letters in, composition and candidates out, chosen text committed. Every method that can
    finish a composition returns the committed text ("" when none). Indexes count from 0 on the current page."""

    @property
    def state(self) -> InputState: ...

    @property
    def composing(self) -> bool: ...

    def type(self, text: str) -> str: ...

    def backspace(self) -> bool: ...

    def select(self, index: int) -> str: ...

    def page_down(self) -> bool: ...

    def page_up(self) -> bool: ...

    def commit(self) -> str: ...

    def commit_raw(self) -> str: ...

    def clear(self) -> None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


def arrange(candidates: Sequence[str], *, drawable: Callable[[str], bool] | None = None,
            preedit: str = "", first_page: bool = True, slot: int = RARE_SLOT) -> tuple[int, ...]:
    """The display order of one page: indexes into `candidates`. Candidates the fonts cannot draw are left out
    (a box helps nobody); on the first page, rare characters for the letters being converted (which the engine
    offers first) move behind the first `slot` everyday candidates."""
    keep = [i for i, text in enumerate(candidates) if drawable is None or drawable(text)]
    if not first_page:
        return tuple(keep)
    rare = rare_for(unconverted(preedit))
    moved = [i for i in keep if candidates[i] in rare]
    others = [i for i in keep if candidates[i] not in rare]
    return tuple(others[:slot] + moved + others[slot:])


def unconverted(preedit: str) -> str:
    """The letters of a composition not yet converted: "王jian guo" -> "jianguo", "lü" -> "lv"."""
    tail = preedit
    for i in range(len(preedit) - 1, -1, -1):
        if not (preedit[i].isascii() or preedit[i] in "üÜ"):
            tail = preedit[i + 1:]
            break
    return normalize_code(tail)


def normalize_code(pinyin: str) -> str:
    """'Shāng qiū', 'shang1 qiu1', "xi'an", 'lü' -> 'shangqiu', 'xian', 'lv': the letters a student types."""
    text = unicodedata.normalize("NFD", pinyin.lower()).replace("u\u0308", "v").replace("u:", "v")
    return "".join(ch for ch in text if "a" <= ch <= "z")


def phrases_text(phrases: Iterable[tuple[str, str]], *, rare: bool = False) -> str:
    """A Rime custom_phrase.txt for (phrase, pinyin) pairs; earlier pairs rank higher when codes collide.
    rare=True appends the rare name characters (kiosk.input.rare) after the given phrases."""
    rows = []
    seen = set()
    pairs = list(phrases) + (list(RARE_CHARACTERS) if rare else [])
    for phrase, pinyin in pairs:
        phrase = " ".join(str(phrase).split())  # no tabs or newlines inside a phrase
        code = normalize_code(str(pinyin))
        if not phrase or not code or (phrase, code) in seen:
            continue
        seen.add((phrase, code))
        rows.append((phrase, code))
    top = len(rows) + 100
    return _PHRASES_HEADER + "".join(f"{p}\t{c}\t{top - i}\n" for i, (p, c) in enumerate(rows))
