"""The `kiosk-provision` command: the field technician's tool."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.logs import configure_logging
from kiosk.paths import TerminalPaths
from kiosk.store import DeviceKey

from . import bundle, decommission, discover, enroll, identify, install, operators, service_screen, status, update


def _init(args) -> int:
    path = Path(args.config)
    if path.exists() and not args.force:
        raise KioskError(f"配置文件已存在：{path}（覆盖请加 --force）")
    config = TerminalConfig(data_dir=Path(args.data_dir).resolve(), terminal_id=args.terminal_id, role=args.role,
                            school_code=args.school, county_code=args.county, policy=args.policy,
                            server_url=args.server or "")
    DeviceKey.load_or_create(TerminalPaths.at(config.data_dir).ensure().device_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config.to_toml(), encoding="utf-8")
    print(f"已写入终端配置 {path}，数据目录 {config.data_dir}")
    return 0


def _selftest(args) -> int:
    from .checks import Context
    from .selftest import print_report, selftest

    ctx = Context(TerminalConfig.load(args.config), test_page=args.test_page, test_card=args.test_card,
                  timeout=args.timeout)
    report = selftest(ctx, send=not args.no_upload, core_only=args.core, devices=not args.no_devices)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    return 0 if report["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-provision", description="采集终端技术人员工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = sub.add_parser("init", help="写入终端配置并生成设备密钥")
    init.add_argument("--config", required=True)
    init.add_argument("--data-dir", required=True)
    init.add_argument("--terminal-id", required=True)
    init.add_argument("--role", choices=["school", "point"], required=True)
    init.add_argument("--school", default="", help="学校终端：本校代码")
    init.add_argument("--county", required=True, help="县（区）代码")
    init.add_argument("--policy", default="henan-2024")
    init.add_argument("--server", default="", help="中心服务器地址（空：内置服务器）")
    init.add_argument("--force", action="store_true")
    init.set_defaults(handler=_init)
    test = sub.add_parser("selftest", help="外设、网络、时钟与本地数据自检（报告签名后上传并保存在本地）")
    test.add_argument("--config")
    test.add_argument("--json", action="store_true")
    test.add_argument("--test-page", action="store_true", help="打印一张测试页")
    test.add_argument("--test-card", action="store_true", help="读取放在读卡器上的测试卡")
    test.add_argument("--core", action="store_true", help="只检查本机软件与数据（不查外设和网络；升级健康检查用）")
    test.add_argument("--no-devices", action="store_true", help="不查外设（终端程序运行时的每日自检）")
    test.add_argument("--no-upload", action="store_true", help="不上传报告")
    test.add_argument("--timeout", type=float, default=5.0, help="每个设备/请求的等待秒数（默认5）")
    test.set_defaults(handler=_selftest)
    discover.register(sub)
    enroll.register(sub)
    install.register(sub)
    update.register(sub)
    bundle.register(sub)
    status.register(sub)
    identify.register(sub)
    decommission.register(sub)
    service_screen.register(sub)
    operators.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("WARNING")
    try:
        return int(args.handler(args) or 0)
    except KioskError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a path the technician typed: unwritable, missing, a directory...
        print(f"错误：文件操作失败：{exc.strerror or exc}（{exc.filename or ''}），请检查路径和权限", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
