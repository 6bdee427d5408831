"""`kiosk-provision status` (a summary for the technician) and `kiosk-provision logs` (a bundle to send to support,
with personal data removed).

The log bundle takes the terminal's JSON-lines logs, the kiosk unit's journal (when journalctl exists), the kept
self-test reports, the sync status, the update history, the config and this status. Logs and journal go through
kiosk.logs.mask_all (ID numbers, phone numbers, every run of Han characters); the files we write ourselves
through mask_text. The store, keys, pulled roster, operator registry and printed forms are never included.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.identity import mask_text
from kiosk.logs import mask_all
from kiosk.paths import TerminalPaths
from kiosk.files import read_json

from .checks import STATUS_NAMES
from .update import Releases
from .version import app_version

MAX_LOG_BYTES = 20 * 2**20  # the newest part of each log file
JOURNAL_DAYS = 14


def status(config: TerminalConfig, prefix: str | Path) -> dict:
    from kiosk.store import Store

    paths = TerminalPaths.at(config.data_dir)
    identity = read_json(paths.sync_dir / "terminal.json", {}) or {}
    releases = Releases(prefix)
    outbox = None
    if paths.store.exists():
        store = Store(paths.store)
        try:
            outbox = store.outbox_depth()
        finally:
            store.close()
    latest = read_json(paths.selftest / "latest.json", {}) or {}
    sync = read_json(paths.sync_dir / "status.json", {}) or {}
    history = releases.history()
    return {
        "terminal": {"terminal_id": identity.get("terminal_id") or config.terminal_id, "enrolled": bool(identity),
                     "role": config.role, "school_code": config.school_code, "county_code": config.county_code,
                     "server": identity.get("server") or config.server_url},
        "software": {"running": app_version(), "current": releases.version("current"),
                     "previous": releases.version("previous"), "last_update": history[-1] if history else None},
        "sync": {"outbox": outbox, "last_success_at": sync.get("last_success_at"),
                 "last_error": sync.get("last_error", "")},
        "selftest": {"status": latest.get("status"), "at": latest.get("created_at"),
                     "problems": [f"{c['name']}: {c['message']}" for c in latest.get("checks", [])
                                  if c.get("status") != "ready"]},
        "disk_free_mib": shutil.disk_usage(paths.data_dir).free // 2**20 if paths.data_dir.exists() else None,
        "identify_pending": paths.identify_request.exists(),
    }


def describe(s: dict) -> list[str]:
    t, sw, sy, st = s["terminal"], s["software"], s["sync"], s["selftest"]
    lines = [f"终端编号：{t['terminal_id']}（{'已注册' if t['enrolled'] else '未注册'}），服务器：{t['server'] or '内置服务器'}",
             f"软件版本：当前 {sw['current'] or sw['running']}，上一版本 {sw['previous'] or '无'}"]
    if sw["last_update"]:
        u = sw["last_update"]
        lines.append(f"最近一次升级：{u['at']} {u['from']} → {u['to']}：{u['outcome']}")
    pending = "未知（无本地数据库）" if sy["outbox"] is None else f"{sy['outbox']}条"
    lines.append(f"待上传记录：{pending}；最近一次上传成功：{sy['last_success_at'] or '从未'}")
    if st["status"]:
        lines.append(f"最近自检：{st['at']} {STATUS_NAMES.get(st['status'], st['status'])}")
        lines += [f"  - {p}" for p in st["problems"]]
    else:
        lines.append("尚未做过自检（kiosk-provision selftest）")
    if s["disk_free_mib"] is not None:
        lines.append(f"磁盘剩余：{s['disk_free_mib']} MiB")
    return lines


def _tail(path: Path) -> str:
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - MAX_LOG_BYTES))
        return f.read().decode("utf-8", "replace")


def _journal() -> str | None:
    if not shutil.which("journalctl"):
        return None
    try:
        result = subprocess.run(["journalctl", "-u", "kiosk.service", "-u", "kiosk-selftest.service",
                                 "--since", f"-{JOURNAL_DAYS}d", "--no-pager", "-o", "short-iso"],
                                check=False, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout[-MAX_LOG_BYTES:].decode("utf-8", "replace") if result.returncode == 0 else None


def log_bundle(config: TerminalConfig, prefix: str | Path, out: Path) -> list[str]:
    """Writes the masked bundle to out (tar.gz); returns the member names."""
    paths = TerminalPaths.at(config.data_dir)
    members: dict[str, str] = {"status.json": mask_text(json.dumps(status(config, prefix), ensure_ascii=False,
                                                                    indent=1)),
                               "kiosk.toml": mask_text(config.to_toml())}
    if paths.logs.exists():
        for path in sorted(p for p in paths.logs.rglob("*") if p.is_file()):
            members[f"logs/{path.relative_to(paths.logs)}"] = mask_all(_tail(path))
    journal = _journal()
    if journal is not None:
        members["journal.txt"] = mask_all(journal)
    for path in sorted(paths.selftest.glob("*.json")) if paths.selftest.exists() else ():
        members[f"selftest/{path.name}"] = mask_text(_tail(path))
    for name, path in (("sync-status.json", paths.sync_dir / "status.json"),
                       ("updates.json", Path(prefix) / "updates.json")):
        if path.exists():
            members[name] = mask_text(_tail(path))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"kiosk-logs/{name}")
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
    out.chmod(0o600)
    return list(members)


def _status(args) -> int:
    s = status(TerminalConfig.load(args.config), args.prefix)
    print(json.dumps(s, ensure_ascii=False) if args.json else "\n".join(describe(s)))
    return 0


def _logs(args) -> int:
    config = TerminalConfig.load(args.config)
    out = Path(args.out or f"kiosk-logs-{config.terminal_id}-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz")
    names = log_bundle(config, args.prefix, out)
    print(json.dumps({"bundle": str(out), "members": names}, ensure_ascii=False) if args.json else
          f"已生成日志包 {out}（{len(names)}个文件，个人信息已去除），可发给技术支持")
    return 0


def register(sub) -> None:
    p = sub.add_parser("status", help="终端状态：编号、版本、待上传记录、最近自检")
    p.add_argument("--config")
    p.add_argument("--prefix", default="/opt/kiosk", help="软件版本目录")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_status)
    p = sub.add_parser("logs", help="打包日志发给技术支持（个人信息已去除）")
    p.add_argument("--config")
    p.add_argument("--prefix", default="/opt/kiosk")
    p.add_argument("--out", help="日志包文件名（默认当前目录下 kiosk-logs-终端编号-时间.tar.gz）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_logs)
