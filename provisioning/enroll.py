"""`kiosk-provision enroll --server URL --code CODE`: key pair, enrollment, identity (0600), pulled configuration.

The store and its outbox are never touched: re-enrolling (another school, a terminal the server revoked, a key
that may have leaked) retires the old key and identity to <sync_dir>/retired/<UTC time>/ and enrolls a fresh key
with the new code; the queued records are then pushed under the new identity. If the new enrollment fails, the
old key and identity are put back as they were.
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths
from kiosk.sync.identity import KEY_FILE, TERMINAL_FILE

from .version import app_version

log = logging.getLogger(__name__)
IDENTITY_FILES = (KEY_FILE, TERMINAL_FILE)


def _retire(sync_dir: Path) -> Path | None:
    present = [sync_dir / name for name in IDENTITY_FILES if (sync_dir / name).exists()]
    if not present:
        return None
    folder = sync_dir / "retired" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in present:
        path.rename(folder / path.name)
    return folder


def _restore(sync_dir: Path, folder: Path | None) -> None:
    if folder is None:
        return
    for name in IDENTITY_FILES:
        if (folder / name).exists():
            (folder / name).replace(sync_dir / name)
    shutil.rmtree(folder, ignore_errors=True)


def enroll_terminal(config_path: str | Path, server: str, code: str, *, rotate_key: bool = False,
                    transport=None) -> dict:
    from kiosk.sync.client import open_client
    from kiosk.sync.config import ConfigCache
    from kiosk.sync.identity import enroll

    config = TerminalConfig.load(config_path)
    paths = TerminalPaths.at(config.data_dir).ensure()
    enrolled = (paths.sync_dir / TERMINAL_FILE).exists()
    if enrolled and not rotate_key:
        raise KioskError("本终端已注册；如需重新注册（更换学校、密钥泄露或被吊销），请加 --rotate-key 并使用新的注册码",
                         detail="already enrolled")
    retired = _retire(paths.sync_dir) if rotate_key else None
    try:
        identity = enroll(server, code, paths.sync_dir, app_version=app_version(), transport=transport)
    except BaseException:
        _restore(paths.sync_dir, retired)
        raise
    (paths.sync_dir / TERMINAL_FILE).chmod(0o600)
    pulled = True
    try:
        with open_client(identity, transport=transport) as client:
            ConfigCache(paths.sync_dir).pull(client)
    except Exception as exc:  # enrolled all the same: the kiosk pulls again on start
        log.warning("config pull after enrollment failed", extra={"fields": {"error": repr(exc)}})
        pulled = False
    updated = config.model_copy(update={"server_url": identity.server, "terminal_id": identity.terminal_id,
                                        "role": identity.role, "school_code": identity.school_code,
                                        "county_code": identity.county_code})
    from kiosk.files import write_atomic

    write_atomic(config_path, updated.to_toml().encode("utf-8"), mode=0o644)
    log.info("terminal enrolled", extra={"fields": {"terminal": identity.terminal_id, "rotated": bool(retired)}})
    return {"terminal_id": identity.terminal_id, "server": identity.server, "role": identity.role,
            "school_code": identity.school_code, "county_code": identity.county_code, "config_pulled": pulled,
            "rotated": retired is not None, "retired": str(retired) if retired else None}


def _run(args) -> int:
    import json

    result = enroll_terminal(args.config, args.server, args.code, rotate_key=args.rotate_key)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"注册成功：终端编号 {result['terminal_id']}，服务器 {result['server']}")
    print("已下载采集政策和名单" if result["config_pulled"] else "注册成功，但未能下载配置：终端联网后会自动下载")
    if result["rotated"]:
        print(f"已更换终端密钥（旧密钥保存在 {result['retired']}）；待上传记录会以新身份上传")
    return 0


def register(sub) -> None:
    p = sub.add_parser("enroll", help="向中心服务器注册本终端（生成密钥、保存身份、下载配置）")
    p.add_argument("--config", required=True)
    p.add_argument("--server", required=True, help="中心服务器地址，如 https://zk.example.cn")
    p.add_argument("--code", required=True, help="一次性注册码（县区管理员提供）")
    p.add_argument("--rotate-key", action="store_true", help="已注册的终端重新注册：换新密钥，待上传记录不丢")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
