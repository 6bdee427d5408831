"""`kiosk-provision operator ...`: the technician registers the operators who log in on the kiosk with a badge.

The registry is the one the kiosk's badge login reads: data_dir/operators.json of the terminal config (--config).
PINs are typed twice without echo (getpass), or given as one line on stdin with --pin-stdin for scripts; only a
salted scrypt hash is stored. Listings mask names (张*) and badge UIDs (all but the last four hex digits).
"""
from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time

from kiosk.config import TerminalConfig
from kiosk.devices.badge import (ROLES, BadgeEventKind, Operator, ReaderLostReason, check_badge_uid,
                                 check_operator_id, check_pin, hash_pin, normalise_uid)
from kiosk.errors import KioskError, ValidationFailed
from kiosk.identity import mask_name

log = logging.getLogger(__name__)

ROLE_NAMES = {"operator": "工作人员", "supervisor": "主管"}
LOST_HINTS = {
    ReaderLostReason.SERVICE: "智能卡服务（pcscd）未运行，请确认 pcscd 已启动",
    ReaderLostReason.NO_READER: "未检测到工作人员卡读卡器，请检查读卡器连接",
}


def mask_uid(uid: str) -> str:
    """04A1B2C3D4E5F6 -> **********E5F6: enough to tell badges apart, not enough to clone one."""
    uid = normalise_uid(uid)
    return "*" * max(len(uid) - 4, 0) + uid[-4:]


def _registry(args):
    from drivers.badge.registry import JsonOperatorRegistry, registry_path

    config = TerminalConfig.load(args.config)
    return JsonOperatorRegistry(registry_path(config.data_dir))


def _read_pin(args) -> str:
    if args.pin_stdin:
        line = sys.stdin.readline()
        if not line:
            raise KioskError("未从标准输入读到PIN码", detail="no PIN on stdin")
        return line.rstrip("\r\n")
    first = getpass.getpass("请输入PIN码（6至12位数字）：")
    if (problem := check_pin(first)) is not None:
        raise ValidationFailed({"pin": problem})
    if getpass.getpass("请再次输入PIN码：") != first:
        raise KioskError("两次输入的PIN码不一致，请重新登记", detail="PIN confirmation differs")
    return first


def _add(args) -> int:
    name = args.name.strip()
    problems = {}
    if (problem := check_operator_id(args.id)) is not None:
        problems["id"] = problem
    if not name or len(name) > 32:
        problems["name"] = "姓名不能为空，且不超过32个字"
    if (problem := check_badge_uid(args.badge_uid)) is not None:
        problems["badge_uid"] = problem
    if problems:
        raise ValidationFailed(problems)
    registry = _registry(args)
    uid = normalise_uid(args.badge_uid)
    if registry.by_id(args.id) is not None and not args.replace:
        raise KioskError(f"工号 {args.id} 已登记（如需更换卡或PIN码，请加 --replace）", detail="operator id exists")
    owner = registry.by_badge(uid)
    if owner is not None and owner.id != args.id:
        raise KioskError(f"此卡已登记给工号 {owner.id}，请先移除该登记或换一张卡", detail="badge already registered")
    pin = _read_pin(args)  # after the checks above: no PIN typed in vain
    if (problem := check_pin(pin)) is not None:
        raise ValidationFailed({"pin": problem})
    try:
        registry.add(Operator(args.id, name, uid, hash_pin(pin), args.role))
    except ValueError:  # another technician registered the badge in the meantime
        raise KioskError("此卡已登记给其他工作人员", detail="badge already registered") from None
    log.info("operator registered", extra={"fields": {"operator": args.id, "role": args.role}})
    print(f"已登记{ROLE_NAMES[args.role]} {args.id}（{mask_name(name)}），卡号 {mask_uid(uid)}；"
          f"名单文件 {registry.path}")
    return 0


def _list(args) -> int:
    registry = _registry(args)
    operators = sorted(registry.all(), key=lambda op: op.id)
    rows = [{"id": op.id, "name": mask_name(op.name), "role": op.role, "badge_uid": mask_uid(op.badge_uid)}
            for op in operators]
    if args.json:
        print(json.dumps({"registry": str(registry.path), "operators": rows}, ensure_ascii=False))
    elif not rows:
        print(f"尚未登记工作人员（名单文件 {registry.path}）")
    else:
        for row in rows:
            print(f"{row['id']}\t{row['name']}\t{ROLE_NAMES.get(row['role'], row['role'])}\t卡号 {row['badge_uid']}")
    return 0


def _remove(args) -> int:
    registry = _registry(args)
    if not registry.remove(args.id):
        raise KioskError(f"未找到工号为 {args.id} 的工作人员（可用 kiosk-provision operator list 查看）",
                         detail="no such operator")
    log.info("operator removed", extra={"fields": {"operator": args.id}})
    print(f"已移除工作人员 {args.id}，其卡不能再登录")
    return 0


def _read_badge(args) -> int:
    """Waits for a badge on the PC/SC reader, prints its UID (and whom it is registered to)."""
    from drivers.badge.pcsc import PcscBadgeReader

    registry = _registry(args)
    reader = PcscBadgeReader(reader_filter=args.reader)
    try:
        deadline = time.monotonic() + args.timeout
        reader.wait_started(args.timeout)  # the prompt comes once the reader is watched: a badge laid on now counts
        print("请将工作人员卡放在读卡器上……", file=sys.stderr, flush=True)
        while (left := deadline - time.monotonic()) > 0:
            event = reader.next_event(timeout=left)
            if event is None:
                break
            if event.kind is BadgeEventKind.READER_LOST:
                print(f"{LOST_HINTS[event.reason]}，继续等待……", file=sys.stderr, flush=True)
            elif event.kind is BadgeEventKind.INSERTED:
                if event.uid is None:
                    raise KioskError("读不出此卡的卡号：请换一张非接触式卡，或将卡放正后重试",
                                     detail=f"no UID from the card in {event.reader}")
                return _print_badge(args, registry, event)
        if reader.lost is not None:
            raise KioskError(f"{LOST_HINTS[reader.lost]}，然后重试", detail=f"reader lost: {reader.lost.value}")
        raise KioskError(f"{args.timeout:g}秒内未检测到工作人员卡，请将卡放在读卡器上后重试", detail="no badge")
    finally:
        reader.close()


def _print_badge(args, registry, event) -> int:
    owner = registry.by_badge(event.uid)
    if args.json:
        print(json.dumps({"uid": event.uid, "reader": event.reader,
                          "registered_to": owner.id if owner else None}, ensure_ascii=False))
    else:
        print(event.uid)
        known = f"已登记给工号 {owner.id}（{mask_name(owner.name)}）" if owner else "尚未登记"
        print(f"读卡器：{event.reader}；此卡{known}", file=sys.stderr)
    return 0


def register(sub) -> None:
    """Adds `operator add|list|remove|read-badge` to kiosk-provision's subcommands."""
    operator = sub.add_parser("operator", help="登记、查看、移除工作人员（工作人员卡 + PIN码登录）")
    commands = operator.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", help="终端配置文件（名单存放在其数据目录的 operators.json）")

    add = commands.add_parser("add", parents=[config], help="登记工作人员：工号、姓名、角色、卡号、PIN码")
    add.add_argument("--id", required=True, help="工号")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--badge-uid", required=True, help="卡号（十六进制，可用 read-badge 读取）")
    add.add_argument("--pin-stdin", action="store_true", help="从标准输入读一行作为PIN码（供脚本使用）")
    add.add_argument("--replace", action="store_true", help="替换同一工号的已有登记（换卡、重设PIN码）")
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", parents=[config], help="列出已登记的工作人员（姓名、卡号已遮盖）")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    remove = commands.add_parser("remove", parents=[config], help="移除工作人员，其卡不能再登录")
    remove.add_argument("--id", required=True, help="工号")
    remove.set_defaults(handler=_remove)

    read = commands.add_parser("read-badge", parents=[config], help="等待工作人员卡放上读卡器，显示其卡号")
    read.add_argument("--reader", default="", help="只用名称包含此文字的读卡器")
    read.add_argument("--timeout", type=float, default=60.0, help="最多等待秒数（默认60）")
    read.add_argument("--json", action="store_true")
    read.set_defaults(handler=_read_badge)
