"""`kiosk-central user add|list|disable|reset-password` and `kiosk-central export`."""
from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path


def _central(args):
    from central.cli import _central as make

    return make(args)


def _password(args) -> str:
    """--password-env NAME reads it from the environment (scripts); otherwise asked twice on the terminal."""
    if args.password_env:
        return os.environ.get(args.password_env, "")
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise SystemExit("两次输入的密码不一致")
    return first


def user(args) -> int:
    from . import accounts

    if args.action != "list" and not args.username:
        print("请指定用户名", file=sys.stderr)
        return 2
    central = _central(args)
    try:
        if args.action == "list":
            with central.sessions() as session:
                users = accounts.list_users(session)
            print(json.dumps(users, ensure_ascii=False, indent=1) if args.json else "\n".join(
                f"{u['username']}\t{u['role']}\t{u['scope']}\t{'已停用' if u['disabled'] else '正常'}" for u in users))
        elif args.action == "add":
            if not (args.role and args.scope):
                raise accounts.AccountError("请指定 --role 和 --scope")
            password = _password(args)
            central.write(lambda s: accounts.add_user(s, args.username, args.role, args.scope, password,
                                                      args.name or ""))
            print("已创建账号", file=sys.stderr)
        elif args.action == "disable":
            central.write(lambda s: accounts.disable_user(s, args.username))
            print("已停用账号", file=sys.stderr)
        else:
            password = _password(args)
            central.write(lambda s: accounts.reset_password(s, args.username, password))
            print("已重置密码", file=sys.stderr)
    except accounts.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def export(args) -> int:
    from . import export as exporting
    from .scope import Scope, scope_problem

    role, _, code = args.scope.partition(":")
    problem = scope_problem(role, code)
    if problem:
        print(f"--scope 应为 角色:代码，例如 county:411403（{problem}）", file=sys.stderr)
        return 2
    central, scope = _central(args), Scope(role, code)
    count, problems = exporting.run_check(central, scope, args.naming)
    if problems:
        print(f"导出前检查未通过（{len(problems)} 项）：", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        return 1
    exporting.write_file(central.sessions, central.storage, scope, Path(args.output), args.naming)
    print(f"已导出 {count} 名考生", file=sys.stderr)
    return 0


def register(command) -> None:
    """Adds the console's subcommands through central.cli's `command(name, handler, help)`."""
    p = command("user", user, "管理控制台账号（首个省级账号在此创建）")
    p.add_argument("action", choices=["add", "list", "disable", "reset-password"])
    p.add_argument("username", nargs="?", default="")
    p.add_argument("--role", choices=["province", "city", "county", "school", "point"])
    p.add_argument("--scope", help="41 | 4114 | 411403 | school code | point code")
    p.add_argument("--name", help="display name")
    p.add_argument("--password-env", help="read the password from this environment variable")
    p.add_argument("--json", action="store_true")
    p = command("export", export, "导出省级平台导入文件（ZIP）")
    p.add_argument("--scope", required=True, help="role:code, e.g. county:411403")
    p.add_argument("-o", "--output", required=True, help="FILE.zip")
    p.add_argument("--naming", default="id_number", choices=["id_number", "student_number", "exam_number"])
