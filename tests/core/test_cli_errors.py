"""Every `kiosk` subcommand, given a missing file or garbage arguments, ends in one Chinese line on stderr and a
non-zero exit: never a Python traceback."""
import re

import pytest

from ui.cli import main

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def cases(tmp):
    missing, out, empty = str(tmp / "missing.json"), str(tmp / "out"), str(tmp / "data")
    (tmp / "data").mkdir()
    record = tmp / "record.json"
    return {
        "no command": [],
        "unknown command": ["bogus"],
        "bad log level": ["--log-level", "loud", "id", "check", "1"],
        "run: missing config": ["run", "--config", missing],
        "run: garbage time": ["run", "--at", "yesterday"],
        "run: unknown category": ["run", "--category", "nope"],
        "run: unknown flag": ["run", "--fast"],
        "sync enroll: garbage server": ["sync", "enroll", "--server", "garbage", "--code", "X", "--data", empty],
        "sync enroll: missing code": ["sync", "enroll", "--server", "http://127.0.0.1:9"],
        "sync status: missing data dir": ["sync", "status", "--data", str(tmp / "nope")],
        "sync push: not enrolled": ["sync", "push", "--data", empty],
        "sync push: garbage timeout": ["sync", "push", "--data", empty, "--timeout", "soon"],
        "id check: missing number": ["id", "check"],
        "policy window: bad role": ["policy", "window", "--policy", "henan-2024", "--role", "x", "--category", "y"],
        "policy window: missing policy": ["policy", "window", "--policy", "nope", "--role", "school",
                                          "--category", "grade9"],
        "policy list: unknown flag": ["policy", "list", "--all"],
        "idcard read: missing port": ["idcard", "read", "--port", missing, "--timeout", "0.5"],
        "idcard read: garbage baud": ["idcard", "read", "--baud", "fast"],
        "idcard simulate: missing card": ["idcard", "simulate", "--card", missing, "--link", str(tmp / "pty")],
        "idcard simulate: link in a missing dir": ["idcard", "simulate", "--link", str(tmp / "no" / "pty")],
        "idcard control: missing socket": ["idcard", "control", "--socket", missing, "status"],
        "photo check: missing file": ["photo", "check", missing],
        "photo make: missing file": ["photo", "make", missing, "-o", out],
        "photo make: not an image": ["photo", "make", str(record), "-o", out],
        "doc make: missing file": ["doc", "make", missing, "--id", "41140320090315003X", "-o", out],
        "record example: unknown flag": ["record", "example", "--pretty"],
        "form render: missing record": ["form", "render", missing, "-o", out, "--data", empty],
        "form render: missing photo": ["form", "render", str(record), "-o", out, "--photo", missing,
                                       "--data", empty],
        "form render: garbage record": ["form", "render", str(tmp / "garbage.json"), "-o", out, "--data", empty],
        "form print: missing record": ["form", "print", missing, "--to-dir", out, "--data", empty],
        "form print: garbage timeout": ["form", "print", str(record), "--timeout", "-1", "--data", empty],
        "form verify: garbage payload": ["form", "verify", "HNZK1|garbage", "--data", empty],
        "form verify: missing data dir": ["form", "verify", "x", "--data", str(tmp / "nope")],
        "form queues: unknown flag": ["form", "queues", "--all"],
    }


def test_every_subcommand_fails_in_one_chinese_line(tmp_path, capsys):
    from kiosk.record import example_record

    (tmp_path / "record.json").write_text(example_record().model_dump_json(), encoding="utf-8")
    (tmp_path / "garbage.json").write_bytes(b"\xff\xfe{not json")
    failures = []
    for name, argv in cases(tmp_path).items():
        code = main(argv)
        out, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.strip()]
        if code == 0 or "Traceback" in out + err or len(lines) != 1 or not CHINESE.search(lines[0]) \
                or not lines[0].startswith("错误："):
            failures.append(f"{name}: exit {code}, stderr {err!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("flag", ["--help"])
def test_help_still_exits_zero(flag, capsys):
    assert main([flag]) == 0 and "kiosk" in capsys.readouterr().out


def test_no_native_log_noise_on_stderr():
    """MediaPipe and TF Lite write their own log lines to fd 2; the command keeps them off (kiosk.native_logs)."""
    import subprocess
    import sys
    from importlib import resources

    face = resources.files("drivers.camera").joinpath("astronaut.jpg")
    result = subprocess.run([sys.executable, "-m", "ui.cli", "photo", "check", str(face), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1) and '"problems"' in result.stdout
    assert result.stderr == "", result.stderr[:500]


def test_native_log_filter_keeps_other_lines():
    from kiosk.native_logs import NATIVE_LINE

    assert NATIVE_LINE.match(b"W0000 00:00:1796118845.424928   10199 inference_feedback_manager.cc:114] Feedback")
    assert NATIVE_LINE.match(b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.")
    assert not NATIVE_LINE.match("错误：找不到记录文件：x.json".encode())
    assert not NATIVE_LINE.match(b'{"ts": "2026-12-01T09:36:30Z", "level": "warning", "msg": "card reader lost"}')
