"""The `kiosk` command: one subcommand group per capability, each in its own module under ui/commands/.

Command modules import heavy libraries (OpenCV, Kivy, pyserial...) inside their handlers, so `kiosk id check`
starts fast and works on a machine without the devices' libraries. Whatever goes wrong ends in one Chinese line on
stderr and a non-zero exit, never a traceback: bad arguments (exit 2), a KioskError (its exit code), anything else
(exit 70, the details in the log at debug level).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys

from kiosk.errors import KioskError
from kiosk.logs import configure_logging

log = logging.getLogger("kiosk.cli")

# Each module has register(subparsers); add a line here when a capability gains commands.
COMMAND_MODULES = [
    "ui.commands.run",
    "ui.commands.sync",
    "ui.commands.identity",
    "ui.commands.policy",
    "ui.commands.idcard",
    "ui.commands.photo",
    "ui.commands.record",
    "ui.commands.form",
    "ui.commands.screens",
]
USAGE_EXIT, INTERNAL_EXIT = 2, 70
ARGPARSE_MESSAGES = [  # argparse's English, in the words the rest of the command speaks
    (r"the following arguments are required: (.*)", "缺少参数：{0}"),
    (r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)", "参数 {0} 的取值“{1}”无效（可选：{2}）"),
    (r"argument (\S+): invalid (\w+) value: '([^']*)'", "参数 {0} 的值“{2}”不是有效的数字"),
    (r"argument (\S+): expected one argument", "参数 {0} 需要一个值"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
]


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one Chinese line (with what to do next) and exit code 2."""

    def error(self, message: str):
        for pattern, chinese in ARGPARSE_MESSAGES:
            found = re.fullmatch(pattern, message)
            if found:
                message = chinese.format(*found.groups())
                break
        print(f"错误：{message}；用 {self.prog} --help 查看用法", file=sys.stderr)
        raise SystemExit(USAGE_EXIT)


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="kiosk", description="河南省初中学业水平考试考生信息采集终端")
    parser.add_argument("--log-level", default="WARNING", type=str.upper,
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level for stderr (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the real command line (not a test calling in-process): keep native log noise off stderr
        from kiosk.native_logs import quiet_native_logs

        quiet_native_logs()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad command line (2, already reported)
        return int(exc.code or 0)
    configure_logging(args.log_level)
    try:
        return int(args.handler(args) or 0)
    except KioskError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        log.debug("command failed", extra={"fields": {"detail": exc.detail}})
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a person reads this, not a developer
        log.debug("unexpected error", exc_info=True)
        print(f"错误：程序内部错误（{type(exc).__name__}），请联系技术人员；加 --log-level DEBUG 可查看详情",
              file=sys.stderr)
        return INTERNAL_EXIT


if __name__ == "__main__":
    sys.exit(main())
