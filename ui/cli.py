"""The `kiosk` command: one subcommand group per capability, each in its own module under ui/commands/.

Command modules import heavy libraries (OpenCV, Kivy, pyserial...) inside their handlers, so `kiosk id check`
starts fast and works on a machine without the devices' libraries.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from kiosk.errors import KioskError
from kiosk.logs import configure_logging

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
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="河南省初中学业水平考试考生信息采集终端")
    parser.add_argument("--log-level", default="WARNING", help="log level for stderr (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return int(args.handler(args) or 0)
    except KioskError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
