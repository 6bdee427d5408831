"""Offline pinyin input for the on-screen keyboard: Rime (librime) with the luna_pinyin_simp schema.

librime keeps one engine per process: PinyinEngine objects share it (see _Runtime) and each holds its own Rime
session. The runtime is set up on first use: a private user data directory gets a small configuration
(Simplified Chinese, 9 candidates a page, no learning) and is deployed once per process (~0.3 s the first time
in a fresh directory).

Privacy: Rime learns from what was typed by default and would offer one student's input to the next. The user
dictionary is disabled here (translator/enable_user_dict: false), every reset() starts a new session (no
in-memory commit history), and the default user data directory is a private temporary one (mode 0700, in
memory when /dev/shm is usable) removed at exit. Custom phrases (school names, roster names) are written there
in clear: keep the default directory when roster names are used.

Nothing here imports Kivy: ui/keyboard.py drives an engine and shows its state.
"""
from __future__ import annotations

import atexit
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.input import rime as _rime

log = logging.getLogger(__name__)

SHARED_DATA_DIR = Path("/usr/share/rime-data")
SCHEMA_ID = "luna_pinyin_simp"
PAGE_SIZE = 9

_DEFAULT_CUSTOM = f"""\
# Written by the kiosk (kiosk.input.pinyin); rewritten at every start.
patch:
  schema_list:
    - schema: {SCHEMA_ID}
  menu/page_size: {PAGE_SIZE}
"""

_SCHEMA_CUSTOM = """\
# Written by the kiosk (kiosk.input.pinyin): no learning from what students type. (custom_phrase keeps its
# "user dictionary": it is the read-only custom_phrase.txt, a stabledb Rime never writes to.)
patch:
  translator/enable_user_dict: false
  menu/page_size: {page_size}
"""

_PHRASES_HEADER = """\
# Rime table
# coding: utf-8
# Written by the kiosk (kiosk.input.pinyin) from the terminal's data: phrase<TAB>code<TAB>weight.
"""


class PinyinUnavailable(KioskError):
    """librime or its data cannot be loaded: the keyboard falls back to letters and digits."""

    def __init__(self, detail: str):
        super().__init__("拼音输入法无法启动，目前只能输入字母和数字，请联系技术人员",
                         detail=detail)


@dataclass(frozen=True)
class InputState:
    """What the keyboard shows: the composition and the current page of candidates."""

    raw_input: str = ""  # the letters typed so far ("wangjianguo")
    preedit: str = ""  # the composition as Rime shows it ("王jian guo" once 王 is chosen)
    candidates: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()
    page_no: int = 0
    is_last_page: bool = True
    highlighted: int = 0

    @property
    def composing(self) -> bool:
        return bool(self.raw_input or self.preedit)


def normalize_code(pinyin: str) -> str:
    """'Shāng qiū', 'shang1 qiu1', "xi'an", 'lü' -> 'shangqiu', 'xian', 'lv': the letters a student types."""
    text = unicodedata.normalize("NFD", pinyin.lower()).replace("u\u0308", "v").replace("u:", "v")
    return "".join(ch for ch in text if "a" <= ch <= "z")


def phrases_text(phrases: Iterable[tuple[str, str]]) -> str:
    """custom_phrase.txt for (phrase, pinyin) pairs; earlier pairs rank higher when codes collide."""
    rows = []
    seen = set()
    for phrase, pinyin in phrases:
        phrase = " ".join(str(phrase).split())  # no tabs or newlines inside a phrase
        code = normalize_code(str(pinyin))
        if not phrase or not code or (phrase, code) in seen:
            continue
        seen.add((phrase, code))
        rows.append((phrase, code))
    top = len(rows) + 100
    return _PHRASES_HEADER + "".join(f"{p}\t{c}\t{top - i}\n" for i, (p, c) in enumerate(rows))


def _default_user_dir() -> Path:
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="kiosk-rime-", dir=base))


_GENERATIONS = itertools.count(1)  # session generations, unique across restarts (session ids may be reused)


class _Runtime:
    """librime's process-wide state: set up once, deployed once per user data directory."""

    _setup_done = False  # RimeSetup (logging) may only run once per process
    _keep: list = []  # strings and structs librime holds pointers to (glog keeps app_name) for the process

    def __init__(self, library: _rime.RimeLibrary, user_dir: Path, shared_dir: Path, temporary: bool,
                 page_size: int):
        self.lib = library
        self.user_dir = user_dir
        self.shared_dir = shared_dir
        self.temporary = temporary
        self.page_size = page_size
        self.lock = threading.RLock()
        self.generation = next(_GENERATIONS)
        self.deploy_seconds = 0.0
        self.phrases = ""
        self._start()

    def _write_config(self) -> None:
        self.user_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.user_dir, 0o700)
        _write(self.user_dir / "default.custom.yaml", _DEFAULT_CUSTOM.replace(
            f"page_size: {PAGE_SIZE}", f"page_size: {self.page_size}"))
        _write(self.user_dir / f"{SCHEMA_ID}.custom.yaml", _SCHEMA_CUSTOM.format(page_size=self.page_size))
        # Phrases are given again by each process: none survive from an earlier run (they may be roster names).
        self.phrases = phrases_text(())
        _write(self.user_dir / "custom_phrase.txt", self.phrases)

    def _start(self) -> None:
        self._write_config()
        traits = _rime.new_traits()
        strings = {
            "shared_data_dir": str(self.shared_dir).encode(),
            "user_data_dir": str(self.user_dir).encode(),
            "distribution_name": b"Henan Exam Kiosk",
            "distribution_code_name": b"henan-exam-kiosk",
            "distribution_version": b"1",
            "app_name": b"rime.kiosk",
        }
        for name, value in strings.items():
            setattr(traits, name, value)
        traits.min_log_level = 2  # errors only: no INFO lines about sessions
        log_dir = self.user_dir / "log"
        log_dir.mkdir(exist_ok=True, mode=0o700)
        traits.log_dir = str(log_dir).encode()
        strings["log_dir"] = traits.log_dir
        _Runtime._keep.append((traits, strings))
        started = time.monotonic()
        if not _Runtime._setup_done:
            self.lib.RimeSetup(traits)
            _Runtime._setup_done = True
        self.lib.RimeInitialize(traits)
        self.lib.RimeStartMaintenance(1)
        self.lib.RimeJoinMaintenanceThread()
        self.deploy_seconds = time.monotonic() - started
        self.generation = next(_GENERATIONS)
        log.info("rime ready: version=%s deploy_s=%.3f", self.lib.version(), self.deploy_seconds)

    def finalize(self) -> None:
        with self.lock:
            self.lib.RimeFinalize()
            self.generation = next(_GENERATIONS)
            if self.temporary:
                shutil.rmtree(self.user_dir, ignore_errors=True)

    def set_phrases(self, text: str) -> None:
        """Rewrite custom_phrase.txt. librime shares one loaded copy among live sessions and rereads the file
        only when none holds it: every session is ended (engines open new ones on next use, unfinished
        compositions are dropped)."""
        with self.lock:
            if text != self.phrases:
                self.lib.RimeCleanupAllSessions()
                self.generation = next(_GENERATIONS)
                _write(self.user_dir / "custom_phrase.txt", text)
                self.phrases = text

    def create_session(self) -> int:
        session = self.lib.RimeCreateSession()
        if not session:
            raise PinyinUnavailable("RimeCreateSession returned 0")
        status = _rime.new_status()
        schema = ""
        if self.lib.RimeGetStatus(session, status):
            schema = (status.schema_id or b"").decode()
            self.lib.RimeFreeStatus(status)
        if schema != SCHEMA_ID and not self.lib.RimeSelectSchema(session, SCHEMA_ID.encode()):
            self.lib.RimeDestroySession(session)
            raise PinyinUnavailable(f"schema {SCHEMA_ID} not available (got {schema!r}); rime-data missing?")
        self.lib.RimeSetOption(session, b"ascii_mode", 0)
        self.lib.RimeSetOption(session, b"zh_simp", 1)
        return session


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def runtime(user_data_dir: str | Path | None = None, *, shared_data_dir: str | Path = SHARED_DATA_DIR,
            library: str | None = None, page_size: int = PAGE_SIZE) -> _Runtime:
    """The process-wide Rime runtime, started on first call. Raises PinyinUnavailable when it cannot start.

    A later call with a different user_data_dir or page size restarts librime there (existing engines make new
    sessions on their next use).
    """
    global _runtime
    with _runtime_lock:
        current = _runtime
        if current is not None:
            same_dir = user_data_dir is None or Path(user_data_dir).resolve() == current.user_dir.resolve()
            if same_dir and page_size == current.page_size and Path(shared_data_dir) == current.shared_dir:
                return current
        shared = Path(shared_data_dir)
        if not (shared / f"{SCHEMA_ID}.schema.yaml").is_file():
            raise PinyinUnavailable(f"{shared}/{SCHEMA_ID}.schema.yaml missing (install rime-data-luna-pinyin)")
        try:
            lib = current.lib if current is not None else _rime.RimeLibrary(library)
        except _rime.RimeLoadError as exc:
            raise PinyinUnavailable(f"{exc} (install librime1)") from None
        phrases = current.phrases if current is not None else ""
        if current is not None:
            current.finalize()
        temporary = user_data_dir is None
        user_dir = _default_user_dir() if temporary else Path(user_data_dir)
        try:
            _runtime = _Runtime(lib, user_dir, shared, temporary, page_size)
        except OSError as exc:
            _runtime = None
            raise PinyinUnavailable(f"rime user data dir {user_dir}: {exc}") from None
        if phrases:
            _runtime.set_phrases(phrases)
        return _runtime


@atexit.register
def _shutdown() -> None:
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.finalize()
            _runtime = None


class PinyinEngine:
    """One input session: letters in, composition and candidates out, chosen text committed.

    Every method that can finish a composition returns the text committed by it ("" when none): the caller
    inserts it into the field. Candidate indexes count from 0 on the current page.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]] | None = None, *,
                 user_data_dir: str | Path | None = None, page_size: int = PAGE_SIZE,
                 shared_data_dir: str | Path = SHARED_DATA_DIR, library: str | None = None):
        rt = runtime(user_data_dir, shared_data_dir=shared_data_dir, library=library, page_size=page_size)
        self._lib = rt.lib
        if phrases is not None:
            rt.set_phrases(phrases_text(phrases))
        self._session = 0
        self._generation = -1
        self._open()

    # -- session ---------------------------------------------------------------------------------------
    @property
    def _rt(self) -> _Runtime:
        """The current runtime (another may have replaced the one this engine started on)."""
        return _runtime if _runtime is not None else runtime()

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
        self._rt.set_phrases(phrases_text(phrases))
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
            if ch == " ":
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
        """Commit the composition as shown: chosen parts plus the first candidate for the rest."""
        with self._rt.lock:
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
                return InputState(
                    raw_input=raw,
                    preedit=(ctx.composition.preedit or b"").decode("utf-8", "replace"),
                    candidates=tuple(texts),
                    comments=tuple(comments),
                    page_no=menu.page_no,
                    is_last_page=bool(menu.is_last_page),
                    highlighted=menu.highlighted_candidate_index,
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
