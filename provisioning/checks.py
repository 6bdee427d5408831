"""Self-test checks on the terminal itself (store, policy, font, disk, key files, sync backlog), one function each.

Every check returns a Check: Ready, Warning or Error, a Chinese line for the technician and an English line of
facts. Device checks (provisioning.device_checks) and network checks (provisioning.network) return the same type.
"""
from __future__ import annotations

import datetime as dt
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kiosk.config import TerminalConfig
from kiosk.fonts import CJK_FONT
from kiosk.paths import TerminalPaths

FONT = Path(CJK_FONT)
Status = Literal["ready", "warning", "error"]
STATUS_NAMES = {"ready": "正常", "warning": "警告", "error": "故障"}
RANK = {"ready": 0, "warning": 1, "error": 2}
DISK_ERROR, DISK_WARNING = 1_000_000_000, 5_000_000_000


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str  # Chinese, for the technician
    detail: str = ""  # English facts

    @property
    def ok(self) -> bool:
        """A warning does not stop the terminal from registering students; an error does."""
        return self.status != "error"

    def as_json(self) -> dict:
        return {"name": self.name, "status": self.status, "ok": self.ok, "message": self.message,
                "detail": self.detail}


@dataclass
class Context:
    """What every check may look at. `clock` is the terminal's wall clock (seconds since the epoch)."""
    config: TerminalConfig
    test_page: bool = False  # printer: print a test page
    test_card: bool = False  # reader: read the card lying on it
    timeout: float = 5.0  # per device / per request
    clock: Callable[[], float] = time.time
    cups_server: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def paths(self) -> TerminalPaths:
        return TerminalPaths.at(self.config.data_dir)


def worst(checks) -> Status:
    return max((c.status for c in checks), key=RANK.__getitem__, default="ready")


def check_store(ctx: Context) -> Check:
    from kiosk.store import Store

    try:
        store = Store(ctx.paths.store)
    except Exception as exc:  # the self-test reports every failure, whatever its kind
        return Check("store", "error", "本地数据库无法打开", repr(exc))
    try:
        chain = store.verify_audit_chain()
        return Check("store", "ready" if chain else "error",
                     "本地数据库正常" if chain else "审计日志校验失败，可能被篡改",
                     f"schema {store.schema_version}, {len(store.record_ids())} records, audit chain "
                     f"{'intact' if chain else 'BROKEN'}")
    finally:
        store.close()


def check_policy(ctx: Context) -> Check:
    from kiosk.policy import get_policy, window_status

    config = ctx.config
    try:
        policy = get_policy(config.policy, ctx.paths.pulled_policies)
    except Exception as exc:
        return Check("policy", "error", f"采集政策“{config.policy}”无法加载", repr(exc))
    now = dt.datetime.fromtimestamp(ctx.clock(), policy.tz)
    open_now = [c.code for c in policy.categories if window_status(policy, config.role, c.code, now).open]
    return Check("policy", "ready", f"采集政策{policy.name}已加载", f"open now for {config.role}: {open_now or 'none'}")


def check_font(ctx: Context) -> Check:
    if FONT.exists():
        return Check("font", "ready", "中文字体正常", str(FONT))
    return Check("font", "error", "缺少中文字体 fonts-wqy-microhei", f"missing {FONT}")


def check_face_model(ctx: Context) -> Check:
    """The face-match model's files in place and intact: without them every photo goes to the operator to compare
    with the card by eye (the kiosk still registers)."""
    from kiosk.photo import weights

    where = weights.model_dir()
    if bad := weights.not_installed():
        return Check("face_model", "warning", "人脸比对模型缺失或已损坏，照片需由工作人员与身份证人工核对；"
                     "请重新安装软件（scripts/bootstrap.sh 或升级包）", f"{', '.join(bad)} missing or altered in {where}")
    return Check("face_model", "ready", "人脸比对模型正常", str(where))


def check_disk(ctx: Context) -> Check:
    ctx.paths.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(ctx.paths.data_dir).free
    detail = f"{free // 2**20} MiB free on {ctx.paths.data_dir}"
    if free < DISK_ERROR:
        return Check("disk", "error", "磁盘空间不足1GB，请清理后再使用", detail)
    if free < DISK_WARNING:
        return Check("disk", "warning", "磁盘剩余空间不足5GB，请尽快清理", detail)
    return Check("disk", "ready", "磁盘空间充足", detail)


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def check_key_files(ctx: Context) -> Check:
    """Keys and personal data must not be readable by group or others; a terminal not yet enrolled is a warning."""
    p = ctx.paths
    wanted = {p.data_dir: 0o700, p.device_key: 0o600, p.store: 0o600, p.sync_dir / "terminal.key": 0o600}
    loose = []
    for path, mode in wanted.items():
        actual = _mode(path)
        if actual is not None and actual & 0o077:
            loose.append(f"{path} {actual:o} (want {mode:o})")
    if loose:
        return Check("key_files", "error", "密钥或数据文件权限过宽，请执行 chmod 600（目录 700）后重试",
                     "; ".join(loose))
    if _mode(p.sync_dir / "terminal.key") is None:
        return Check("key_files", "warning", "终端尚未注册（无终端密钥），请执行 kiosk-provision enroll",
                     "no terminal key")
    return Check("key_files", "ready", "密钥文件权限正确", "data dir 0700, keys and store 0600")


def check_backlog(ctx: Context) -> Check:
    from kiosk.store import Store
    from kiosk.files import read_json

    try:
        store = Store(ctx.paths.store)
    except Exception as exc:
        return Check("sync_backlog", "error", "本地数据库无法打开，无法检查待上传记录", repr(exc))
    try:
        depth = store.outbox_depth()
    finally:
        store.close()
    status = read_json(ctx.paths.sync_dir / "status.json", {}) or {}
    last = status.get("last_success_at") or "never"
    detail = f"outbox {depth}, last successful push {last}"
    if depth == 0:
        return Check("sync_backlog", "ready", "没有待上传的记录", detail)
    return Check("sync_backlog", "warning", f"有{depth}条记录等待上传中心服务器（联网后自动上传）", detail)


CORE_CHECKS = [check_store, check_policy, check_font, check_face_model, check_disk, check_key_files,
               check_backlog]
