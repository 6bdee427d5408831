"""librime's process-wide runtime for the pinyin engine: configuration, deployment, sessions.

librime keeps one engine per process: PinyinEngine objects share it and each holds its own Rime session. The
runtime is set up on first use: a private user data directory gets a small configuration (Simplified Chinese,
9 candidates a page, no learning, the rare name characters of kiosk.input.rare as custom phrases) and is deployed
once per process (~0.3 s the first time in a fresh directory).

Privacy: Rime learns from what was typed by default and would offer one student's input to the next. The user
dictionary is disabled here (translator/enable_user_dict: false), every engine reset() starts a new session (no
in-memory commit history), and the default user data directory is a private temporary one (mode 0700, in
memory when /dev/shm is usable) removed at exit. Custom phrases (school names, roster names) are written there
in clear: keep the default directory when roster names are used.
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
from pathlib import Path

from kiosk.files import write_atomic
from kiosk.input.engine import PinyinUnavailable, phrases_text

from . import binding as _rime

log = logging.getLogger(__name__)

SHARED_DATA_DIR = Path("/usr/share/rime-data")
SCHEMA_ID = "luna_pinyin_simp"
PAGE_SIZE = 9

_DEFAULT_CUSTOM = f"""\
# Written by the kiosk (drivers.input.rime); rewritten at every start.
patch:
  schema_list:
    - schema: {SCHEMA_ID}
  menu/page_size: {PAGE_SIZE}
"""

_SCHEMA_CUSTOM = """\
# Written by the kiosk (drivers.input.rime): no learning from what students type. (custom_phrase keeps its
# "user dictionary": it is the read-only custom_phrase.txt, a stabledb Rime never writes to.)
patch:
  translator/enable_user_dict: false
  menu/page_size: {page_size}
  simplifier/excluded_types: [user_table]  # custom phrases as written (昇 stays 昇)
"""


_PREFIX = "kiosk-rime-"


def _default_user_dir() -> Path:
    """A private directory named after this process (kiosk-rime-<pid>-...); those a killed kiosk left behind (no
    exit handler ran: the watchdog's SIGKILL, a power cut on a kiosk without tmpfs) are removed first. In
    /dev/shm each held 2.4 MB of RAM, and the roster's phrases, until the next boot."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    remove_orphans(Path(base))
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))


def remove_orphans(base: Path) -> list[Path]:
    """Removes this user's kiosk-rime-<pid>-* directories under base whose process has ended; the removed."""
    removed = []
    for path in base.glob(f"{_PREFIX}*-*"):
        pid = path.name[len(_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # raises when no such process
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:  # PermissionError: the pid is another user's live process
            continue
    return removed


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
        self.phrases = phrases_text((), rare=True)
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
    write_atomic(path, text.encode("utf-8"), 0o600)


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
