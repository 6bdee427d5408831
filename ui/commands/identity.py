"""`kiosk id check NUMBER`."""
from kiosk.identity import check_id_number

from . import add_json_flag, emit


def register(sub) -> None:
    group = sub.add_parser("id", help="身份证号码校验").add_subparsers(dest="id_command", required=True)
    check = group.add_parser("check", help="校验身份证号码（格式、校验位、出生日期、性别、地区）")
    check.add_argument("number")
    add_json_flag(check)
    check.set_defaults(handler=_check)


def _check(args) -> int:
    result = check_id_number(args.number)
    if result.valid:
        text = f"有效：出生日期{result.birth_date}，性别 {result.gender}，地区 {result.region or '未知'}"
    else:
        text = "无效：" + "；".join(result.errors)
    emit(args, result.as_json(), text)
    return 0 if result.valid else 1
