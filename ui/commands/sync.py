"""`kiosk sync enroll`, `kiosk sync status`, `kiosk sync push`: the terminal's link to the central server."""
from __future__ import annotations

from . import add_data_flags, add_json_flag, emit, open_store, terminal_paths


def register(sub) -> None:
    group = sub.add_parser("sync", help="与中心服务器同步").add_subparsers(dest="sync_command", required=True)

    def command(name, handler, help_text):
        p = group.add_parser(name, help=help_text)
        add_data_flags(p)
        add_json_flag(p)
        p.set_defaults(handler=handler)
        return p

    p = command("enroll", _enroll, "用一次性注册码向中心服务器注册本终端")
    p.add_argument("--server", required=True, help="central server URL, e.g. https://central.example")
    p.add_argument("--code", required=True, help="one-time enrollment code (kiosk-central enroll-code)")
    command("status", _status, "同步状态（待上传、上次错误、下次尝试）")
    p = command("push", _push, "立即上传待同步的记录")
    p.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")


def _enroll(args) -> int:
    from kiosk.sync import enroll

    identity = enroll(args.server, args.code, terminal_paths(args, must_exist=False).ensure().sync_dir)
    emit(args, identity.public_json(), f"注册成功：终端编号：{identity.terminal_id}，类型：{identity.role}")
    return 0


def _status(args) -> int:
    from kiosk.files import read_json
    from kiosk.sync.identity import TERMINAL_FILE
    from kiosk.sync.worker import STATUS_FILE, SyncStatus

    paths = terminal_paths(args)
    sync_dir = paths.sync_dir
    saved = read_json(sync_dir / STATUS_FILE, {}) or {}
    saved = {k: v for k, v in saved.items() if k in SyncStatus.__dataclass_fields__}
    status = SyncStatus(**saved)
    if paths.store.exists():
        store = open_store(args)
        try:
            due = store.outbox_next_attempt()
            status = SyncStatus(**{**saved, "queued": store.outbox_depth(),
                                   "next_try": due.isoformat() if due else None})
        finally:
            store.close()
    data = {**status.as_json(), "terminal": read_json(sync_dir / TERMINAL_FILE)}
    text = status.message + (f"\n上次错误：{status.last_error}" if status.last_error else "")
    emit(args, data, text)
    return 0


def _push(args) -> int:
    from kiosk.errors import KioskError
    from kiosk.sync import SyncWorker, TerminalIdentity, open_client

    if args.timeout <= 0:
        raise KioskError("等待时间须大于0秒", detail=f"timeout {args.timeout}")
    sync_dir = terminal_paths(args).sync_dir
    identity = TerminalIdentity.load(sync_dir)
    store = open_store(args)
    try:
        with open_client(identity) as client:
            worker = SyncWorker(store, client, sync_dir)
            sent = worker.drain(deadline_s=args.timeout)
            status = worker.status()
    finally:
        store.close()
    emit(args, {"sent": sent, **status.as_json()}, f"已上传{sent}条；{status.message}")
    return 0 if status.queued == 0 else 1
