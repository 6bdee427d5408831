"""The pinyin engine on librime (kiosk.input.InputEngine): letters in, candidates out, no learning.

Candidates are shaped by kiosk.input.arrange: only what the font chain can draw, rare name characters behind the
everyday ones. Indexes the caller sees are display positions; they are mapped back to Rime's page here.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.input.engine import InputState, PinyinUnavailable, arrange, phrases_text

from . import binding as _rime
from . import runtime as _runtime_module
from .runtime import PAGE_SIZE, SCHEMA_ID, SHARED_DATA_DIR, runtime

class PinyinEngine:
    """One input session: letters in, composition and candidates out, chosen text committed.

    Every method that can finish a composition returns the text committed by it ("" when none): the caller
    inserts it into the field. Candidate indexes count from 0 on the current page.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]] | None = None, *,
                 user_data_dir: str | Path | None = None, page_size: int = PAGE_SIZE,
                 shared_data_dir: str | Path = SHARED_DATA_DIR, library: str | None = None,
                 drawable: Callable[[str], bool] | None | bool = True):
        """drawable: which candidates can be shown (True: the kiosk's font chain, None/False: all)."""
        rt = runtime(user_data_dir, shared_data_dir=shared_data_dir, library=library, page_size=page_size)
        self._lib = rt.lib
        if drawable is True:
            from kiosk.fonts import drawable
        self._drawable = drawable or None
        self._order: tuple[int, ...] = ()  # Rime's index of each candidate shown, for the page last read
        if phrases is not None:
            rt.set_phrases(phrases_text(phrases, rare=True))
        self._session = 0
        self._generation = -1
        self._open()

    # -- session ---------------------------------------------------------------------------------------
    @property
    def _rt(self) -> _runtime_module._Runtime:
        """The current runtime (another may have replaced the one this engine started on)."""
        current = _runtime_module._runtime
        return current if current is not None else runtime()

    def _open(self) -> None:
        with self._rt.lock:
            self._session = self._rt.create_session()
            self._generation = self._rt.generation

    def _sid(self) -> int:
        if self._session == 0:
            raise KioskError("输入法已关闭", detail="PinyinEngine used after close()")
        if self._generation != self._rt.generation or not self._lib.RimeFindSession(self._session):
            self._open()
        return self._session

    def set_phrases(self, phrases: Iterable[tuple[str, str]]) -> None:
        """Replace the custom phrase list (process-wide) and start a fresh session that uses it."""
        self._rt.set_phrases(phrases_text(phrases, rare=True))
        self.reset()

    def reset(self) -> None:
        """Between students: drop the composition and the session (and whatever it remembered)."""
        with self._rt.lock:
            if self._session and self._generation == self._rt.generation:
                self._lib.RimeDestroySession(self._session)
            self._open()

    def close(self) -> None:
        with self._rt.lock:
            if self._session and self._generation == self._rt.generation:
                self._lib.RimeDestroySession(self._session)
            self._session = 0

    def __enter__(self) -> "PinyinEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- keys ------------------------------------------------------------------------------------------
    def press(self, keysym: int) -> tuple[bool, str]:
        """Send one X11 keysym; returns (handled by Rime, committed text)."""
        with self._rt.lock:
            handled = bool(self._lib.RimeProcessKey(self._sid(), keysym, 0))
            return handled, self._take_commit()

    def type(self, text: str) -> str:
        """Type characters one by one; returns what was committed. Characters Rime does not take while
        nothing is being composed (digits, most punctuation with no Chinese form) pass through unchanged."""
        out = []
        for ch in text:
            if ch == " " and self.composing:
                handled, committed = True, self.select(0) if self.state.candidates else self.commit()
            elif ch == " ":
                handled, committed = self.press(_rime.XK_space)
            elif " " < ch <= "~":
                handled, committed = self.press(ord(ch))
            else:
                handled, committed = False, ""
            out.append(committed)
            if not handled:
                out.append(ch)
        return "".join(out)

    def backspace(self) -> bool:
        """Delete the last letter of the composition; False when nothing was being composed (the caller then
        deletes from the field)."""
        if not self.composing:
            return False
        self.press(_rime.XK_BackSpace)
        return True

    def select(self, index: int) -> str:
        """Choose candidate `index` (0-based, current page). Returns the committed text once the whole input is
        converted, "" while part of it is still being composed (王 chosen, jianguo left)."""
        with self._rt.lock:
            sid = self._sid()
            state = self.state
            if not 0 <= index < len(state.candidates):
                raise IndexError(f"no candidate {index} on this page ({len(state.candidates)})")
            index = self._order[index]  # Rime's position of the candidate shown at `index`
            fn = self._lib.api_function("select_candidate_on_current_page")
            if fn is not None:
                fn(sid, index)
            else:  # the select keys are 1..9, 0
                self._lib.RimeProcessKey(sid, ord("1234567890"[index]), 0)
            return self._take_commit()

    def page_down(self) -> bool:
        """Next page of candidates; False on the last page."""
        before = self.state
        if not before.composing or before.is_last_page:
            return False
        self.press(_rime.XK_Page_Down)
        return self.state.page_no != before.page_no

    def page_up(self) -> bool:
        before = self.state
        if not before.composing or before.page_no == 0:
            return False
        self.press(_rime.XK_Page_Up)
        return self.state.page_no != before.page_no

    def commit(self) -> str:
        """Commit the composition as shown: chosen parts plus the first candidate shown for the rest."""
        with self._rt.lock:
            for _ in range(64):  # each pick converts at least one syllable
                if not self.composing or not self.state.candidates:
                    break
                committed = self.select(0)
                if committed:
                    return committed
            self._lib.RimeCommitComposition(self._sid())
            return self._take_commit()

    def commit_raw(self) -> str:
        """Commit the letters typed, unconverted (Enter on a Chinese keyboard)."""
        with self._rt.lock:
            raw = self.state.raw_input
            self._lib.RimeClearComposition(self._sid())
            self._take_commit()
            return raw

    def clear(self) -> None:
        with self._rt.lock:
            self._lib.RimeClearComposition(self._sid())
            self._take_commit()

    # -- state -----------------------------------------------------------------------------------------
    def _take_commit(self) -> str:
        commit = _rime.new_commit()
        if not self._lib.RimeGetCommit(self._session, commit):
            return ""
        try:
            return (commit.text or b"").decode("utf-8", "replace")
        finally:
            self._lib.RimeFreeCommit(commit)

    @property
    def state(self) -> InputState:
        with self._rt.lock:
            sid = self._sid()
            get_input = self._lib.api_function("get_input")
            raw = (get_input(sid) or b"").decode() if get_input else ""
            ctx = _rime.new_context()
            if not self._lib.RimeGetContext(sid, ctx):
                return InputState(raw_input=raw)
            if not raw and not ctx.composition.preedit:
                self._lib.RimeFreeContext(ctx)
                return InputState()
            try:
                menu = ctx.menu
                texts, comments = [], []
                for i in range(max(menu.num_candidates, 0)):
                    cand = menu.candidates[i]
                    texts.append((cand.text or b"").decode("utf-8", "replace"))
                    comments.append((cand.comment or b"").decode("utf-8", "replace"))
                preedit = (ctx.composition.preedit or b"").decode("utf-8", "replace")
                self._order = order = arrange(texts, drawable=self._drawable, preedit=preedit,
                                              first_page=menu.page_no == 0)
                return InputState(
                    raw_input=raw,
                    preedit=preedit,
                    candidates=tuple(texts[i] for i in order),
                    comments=tuple(comments[i] for i in order),
                    page_no=menu.page_no,
                    is_last_page=bool(menu.is_last_page),
                    highlighted=0,  # what space picks (the keyboard offers no arrow keys to move it)
                )
            finally:
                self._lib.RimeFreeContext(ctx)

    @property
    def candidates(self) -> list[str]:
        return list(self.state.candidates)

    @property
    def preedit(self) -> str:
        return self.state.preedit

    @property
    def composing(self) -> bool:
        return self.state.composing

    def find(self, text: str, pages: int = 5) -> int | None:
        """Rank (0-based, across pages) of candidate `text` for the current input, looking at most `pages`
        pages; the page is restored. For tests and diagnostics."""
        rank = None
        turned = 0
        base = 0
        while True:
            state = self.state
            if text in state.candidates:
                rank = base + state.candidates.index(text)
                break
            if turned + 1 >= pages or not self.page_down():
                break
            base += len(state.candidates)
            turned += 1
        for _ in range(turned):
            self.page_up()
        return rank

    def choose(self, text: str, pages: int = 10) -> str:
        """Page forward to candidate `text` and select it (as a student would); returns the committed text.
        Raises LookupError when it is not within `pages` pages."""
        for _ in range(pages):
            state = self.state
            if text in state.candidates:
                return self.select(state.candidates.index(text))
            if not self.page_down():
                break
        raise LookupError(f"{text!r} not among the candidates for {self.state.raw_input!r}")


def self_test() -> dict:
    """For the kiosk self-test: start Rime and convert one syllable. Raises PinyinUnavailable."""
    started = time.monotonic()
    engine = PinyinEngine()
    try:
        engine.type("zhang")
        candidates = engine.candidates
    finally:
        engine.close()
    if "张" not in candidates[:PAGE_SIZE]:
        raise PinyinUnavailable(f"rime works but 'zhang' gave {candidates[:5]!r}: wrong schema or data")
    rt = engine._rt
    return {"version": rt.lib.version(), "schema": SCHEMA_ID, "deploy_seconds": round(rt.deploy_seconds, 3),
            "seconds": round(time.monotonic() - started, 3)}
