"""`kiosk-provision decommission`: retire a terminal: nothing unsynced may be lost, then the server revokes it and
the keys and personal data are wiped.

Order: refuse while the outbox holds anything (records the server has not confirmed); tell the server (a signed
request: it revokes the terminal at once); then wipe. With --offline the server step is skipped and the technician
is told to have the county revoke the terminal (`kiosk-central revoke ID`). Key files are overwritten before they
are removed (best effort: flash storage may keep old blocks; the keys are what make the rest unreadable).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import httpx

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths

log = logging.getLogger(__name__)


def _outbox(paths: TerminalPaths) -> int:
    from kiosk.store import Store

    if not paths.store.exists():
        return 0
    store = Store(paths.store)
    try:
        return store.outbox_depth()
    finally:
        store.close()


def _tell_server(paths: TerminalPaths, transport=None) -> str:
    from kiosk.sync.client import open_client
    from kiosk.sync.identity import TerminalIdentity
    from kiosk.sync.wire import API

    identity = TerminalIdentity.load(paths.sync_dir)
    try:
        with open_client(identity, timeout=15.0, transport=transport) as client:
            response = client.post(f"{API}/decommission", json={"terminal_id": identity.terminal_id})
    except httpx.HTTPError as exc:
        raise KioskError("无法连接中心服务器，终端未注销；请联网后重试，或加 --offline 并请县区管理员吊销本终端",
                         detail=f"decommission: {exc!r}") from None
    if response.status_code == 403:  # already revoked: the goal is reached
        return identity.terminal_id
    if response.status_code != 200:
        raise KioskError("中心服务器拒绝注销请求，终端未注销；请联系县区管理员",
                         detail=f"decommission: HTTP {response.status_code} {response.text[:200]}")
    return identity.terminal_id


def _shred(path: Path) -> None:
    try:
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.write(os.urandom(size))
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def wipe(paths: TerminalPaths) -> list[str]:
    """Removes keys and personal data; the data directory itself stays (empty of both). Returns what went."""
    gone = []
    keys = [paths.device_key, *paths.sync_dir.rglob("*.key")] if paths.sync_dir.exists() else [paths.device_key]
    for key in keys:
        if key.exists():
            _shred(key)
            gone.append(str(key))
    for path in (paths.store, paths.store.with_name(paths.store.name + "-wal"),
                 paths.store.with_name(paths.store.name + "-shm"), paths.update_backup, paths.operators,
                 paths.identify_request):
        if path.exists():
            path.unlink()
            gone.append(str(path))
    for folder in (paths.sync_dir, paths.printed, paths.selftest, paths.logs):
        if folder.exists():
            shutil.rmtree(folder)
            gone.append(str(folder) + "/")
    return gone


def _systemctl(*args: str) -> None:
    import subprocess

    subprocess.run(["systemctl", *args], check=False, capture_output=True, timeout=60)


def decommission(config: TerminalConfig, *, offline: bool = False, service: str | None = None,
                 transport=None) -> dict:
    """service: the kiosk unit on an appliance, stopped first (no registration starts meanwhile) and started again
    if decommissioning is refused (so it can push what is left), disabled at the end."""
    paths = TerminalPaths.at(config.data_dir)
    if service:
        _systemctl("stop", service)
    try:
        depth = _outbox(paths)
        if depth:
            raise KioskError(f"还有{depth}条记录未上传中心服务器，不能注销；请联网等待上传完成（kiosk-provision status 查看）",
                             detail=f"outbox {depth}")
        enrolled = (paths.sync_dir / "terminal.json").exists()
        terminal_id = config.terminal_id
        if enrolled and not offline:
            terminal_id = _tell_server(paths, transport)
    except KioskError:
        if service:
            _systemctl("start", service)
        raise
    gone = wipe(paths)
    if service:
        _systemctl("disable", service, "kiosk-selftest.timer")
    log.info("terminal decommissioned", extra={"fields": {"terminal": terminal_id, "server_told": enrolled and
                                                           not offline}})
    return {"terminal_id": terminal_id, "revoked_by_server": enrolled and not offline, "wiped": gone}


def _run(args) -> int:
    config = TerminalConfig.load(args.config)
    if not args.yes:
        raise KioskError("注销将删除本终端的密钥和全部考生数据且不可恢复；确认请加 --yes", detail="not confirmed")
    from .update import default_service

    result = decommission(config, offline=args.offline, service=default_service("auto"))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"终端 {result['terminal_id']} 已注销：密钥和考生数据已删除（{len(result['wiped'])}项）")
    if result["revoked_by_server"]:
        print("中心服务器已吊销本终端")
    else:
        print(f"未通知中心服务器：请县区管理员执行 kiosk-central revoke {result['terminal_id']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("decommission", help="注销终端：确认无未上传记录后，通知服务器吊销并删除密钥和考生数据")
    p.add_argument("--config")
    p.add_argument("--yes", action="store_true", help="确认删除（不可恢复）")
    p.add_argument("--offline", action="store_true", help="不联系服务器（须由县区管理员另行吊销）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
