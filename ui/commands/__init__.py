"""Subcommand groups of the `kiosk` command; see ui/cli.py. Shared here: --json output, the data directory flags
(every command finds the terminal's files through kiosk.paths.TerminalPaths), bounded reads of input files."""
import json
import sys
from pathlib import Path

from kiosk.errors import KioskError

MAX_INPUT_BYTES = 8 * 2**20  # a record JSON, a photo or a scan: a few hundred KB; anything bigger is not ours


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")


def add_data_flags(parser) -> None:
    parser.add_argument("--data", help="terminal data directory (default: the config's data_dir, else "
                                       "$KIOSK_DATA_DIR, else /var/lib/kiosk)")
    parser.add_argument("--config", help="terminal config (TOML) whose data_dir to use")


def terminal_paths(args, *, must_exist: bool = True):
    """The terminal's files for this command: --data, else --config's data_dir, else TerminalPaths' default. A data
    directory that does not exist is an error (a typo must not start an empty terminal), except for enrollment."""
    from kiosk.paths import TerminalPaths

    if getattr(args, "data", None):
        paths = TerminalPaths.at(args.data)
    elif getattr(args, "config", None):
        from kiosk.config import TerminalConfig

        paths = TerminalConfig.load(args.config).paths
    else:
        paths = TerminalPaths.at()
    if must_exist and not paths.data_dir.is_dir():
        raise KioskError(f"找不到终端数据目录：{paths.data_dir}（用 --data 指定）", detail="no data dir")
    return paths


def open_store(args):
    from kiosk.terminal import open_store as open_terminal_store

    paths = terminal_paths(args)
    try:
        return open_terminal_store(paths)
    except OSError as exc:
        raise KioskError(f"无法打开本地数据库：{paths.store}", detail=f"store open failed: {exc.strerror}") from None


def read_input(path: str, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """An input file's bytes, bounded before it is read; a missing, unreadable or oversized file is a Chinese
    one-line error."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise KioskError(f"{what}过大（超过{limit // 2**20}MB）：{path}", detail=f"input {size} bytes")
        with p.open("rb") as f:
            return f.read(limit + 1)[:limit]
    except FileNotFoundError:
        raise KioskError(f"找不到{what}：{path}", detail="input missing") from None
    except IsADirectoryError:
        raise KioskError(f"{what}路径是目录，不是文件：{path}", detail="input is a directory") from None
    except OSError as exc:
        raise KioskError(f"无法读取{what}：{path}", detail=f"input read failed: {exc.strerror}") from None


def write_output(path: str, data: bytes, what: str) -> Path:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    except OSError as exc:
        raise KioskError(f"无法写入{what}：{path}", detail=f"output write failed: {exc.strerror}") from None
    return p


def emit(args, data: dict, text: str) -> None:
    """Prints data as JSON with --json, else the human text (Chinese)."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, ensure_ascii=False, indent=None if not sys.stdout.isatty() else 2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)
