"""`kiosk run`: the kiosk on simulated devices with an embedded central server (see ui/robot.py)."""
import datetime as dt
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError

from . import add_json_flag, emit


def register(sub) -> None:
    run = sub.add_parser("run", help="运行采集终端（模拟设备、内置中心服务器，机器人演示完整采集流程）")
    run.add_argument("--config", help="terminal config (TOML); default: a simulated school terminal")
    run.add_argument("--category", default="grade9", help="报考类别 (grade9, return_hukou, grade8, social)")
    run.add_argument("--at", help="simulated time, ISO (default: an hour into the category's window)")
    run.add_argument("--workdir", help="where the run keeps its store, server data, photo and printed form")
    add_json_flag(run)
    run.set_defaults(handler=_run)


def _run(args) -> int:
    from ui.robot import run_robot

    config = TerminalConfig.load(args.config)
    if args.category in ("return_hukou", "social") and config.role == "school":
        config = config.model_copy(update={"role": "point", "school_code": config.county_code + "P01"})
    try:
        at = dt.datetime.fromisoformat(args.at) if args.at else None
    except ValueError:
        raise KioskError(f"时间格式不正确：{args.at}（示例：2024-03-04T10:00）") from None
    quiet = getattr(args, "json", False)
    result = run_robot(config, category=args.category, at=at, workdir=Path(args.workdir) if args.workdir else None,
                       say=(lambda _: None) if quiet else print)
    data = {k: str(v) if isinstance(v, Path) else v for k, v in result.__dict__.items()}
    emit(args, data, f"完成：记录 {result.record_id} 状态 {result.state}，登记表 {result.pdf}，"
                     f"服务器记录 {result.server_copies} 份")
    return 0
