"""`kiosk policy list` and `kiosk policy window`."""
import datetime as dt

from kiosk.clock import utcnow
from kiosk.errors import KioskError
from kiosk.policy import load_policies, get_policy, window_status

from . import add_json_flag, emit


def register(sub) -> None:
    group = sub.add_parser("policy", help="采集政策（时间窗口、类别）").add_subparsers(dest="policy_command", required=True)
    lst = group.add_parser("list", help="列出采集政策")
    add_json_flag(lst)
    lst.set_defaults(handler=_list)
    win = group.add_parser("window", help="某终端类型、某类别在某时刻是否开放")
    win.add_argument("--policy", required=True)
    win.add_argument("--role", required=True, choices=["school", "point"])
    win.add_argument("--category", required=True)
    win.add_argument("--at", help="ISO time; without offset it is the policy's local time (default now)")
    add_json_flag(win)
    win.set_defaults(handler=_window)


def _list(args) -> int:
    policies = load_policies()
    data = {
        "policies": [
            {"name": p.name, "year": p.year, "authority": p.authority,
             "categories": [{"code": c.code, "label": c.label, "roles": c.roles,
                             "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in c.windows]}
                            for c in p.categories]}
            for p in sorted(policies.values(), key=lambda p: (p.year, p.name))
        ]
    }
    lines = [f"{p['name']}  {p['year']}年  {p['authority']}  类别：{'、'.join(c['code'] for c in p['categories'])}"
             for p in data["policies"]]
    emit(args, data, "\n".join(lines))
    return 0


def _window(args) -> int:
    policy = get_policy(args.policy)
    try:
        at = dt.datetime.fromisoformat(args.at) if args.at else utcnow()
    except ValueError:
        raise KioskError(f"时间格式不正确：{args.at}（示例：2024-03-04T09:00）") from None
    status = window_status(policy, args.role, args.category, at)
    emit(args, status.as_json(), ("开放：" if status.open else "关闭：") + status.reason)
    return 0 if status.open else 1
