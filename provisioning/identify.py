"""`kiosk-provision identify`: make this terminal flash its screen and beep, to find it in a room of ten."""
from __future__ import annotations

import json

from kiosk import identify
from kiosk.config import TerminalConfig
from kiosk.paths import TerminalPaths


def _run(args) -> int:
    config = TerminalConfig.load(args.config)
    path = TerminalPaths.at(config.data_dir).identify_request
    if args.stop:
        identify.clear(path)
        result = {"identifying": False}
        text = "已停止闪烁提示"
    else:
        identify.request(path, args.seconds)
        result = {"identifying": True, "seconds": args.seconds, "terminal_id": config.terminal_id}
        text = f"终端 {config.terminal_id} 将闪烁屏幕并鸣响{args.seconds:g}秒（终端程序须正在运行）"
    print(json.dumps(result, ensure_ascii=False) if args.json else text)
    return 0


def register(sub) -> None:
    p = sub.add_parser("identify", help="让本终端闪烁屏幕并鸣响，便于在多台终端中找到它")
    p.add_argument("--config")
    p.add_argument("--seconds", type=float, default=60.0, help="持续秒数（默认60，最多600）")
    p.add_argument("--stop", action="store_true", help="停止闪烁")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
