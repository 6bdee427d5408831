"""Self-test checks, one function each, each returning a Check. Device checks import their driver lazily, so a
missing library is reported as a failed check instead of stopping the self-test."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.fonts import CJK_FONT

FONT = Path(CJK_FONT)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str  # Chinese, for the technician
    detail: str = ""  # English facts

    def as_json(self) -> dict:
        return asdict(self)


def check_store(config: TerminalConfig) -> Check:
    from kiosk.store import Store

    try:
        store = Store(config.store_path)
    except Exception as exc:  # the self-test reports every failure, whatever its kind
        return Check("store", False, "本地数据库无法打开", repr(exc))
    try:
        chain = store.verify_audit_chain()
        depth = store.outbox_depth()
        return Check("store", chain, "本地数据库正常" if chain else "审计日志校验失败，可能被篡改",
                     f"schema {store.schema_version}, {len(store.record_ids())} records, outbox {depth}")
    finally:
        store.close()


def check_policy(config: TerminalConfig) -> Check:
    from kiosk.policy import get_policy, window_status

    try:
        policy = get_policy(config.policy, config.data_dir / "policies")
    except Exception as exc:
        return Check("policy", False, f"采集政策“{config.policy}”无法加载", repr(exc))
    now = dt.datetime.now(policy.tz)
    open_now = [c.code for c in policy.categories if window_status(policy, config.role, c.code, now).open]
    return Check("policy", True, f"采集政策{policy.name}已加载", f"open now for {config.role}: {open_now or 'none'}")


def check_font(config: TerminalConfig) -> Check:
    return Check("font", FONT.exists(), "中文字体正常" if FONT.exists() else "缺少中文字体 fonts-wqy-microhei",
                 str(FONT))


def check_disk(config: TerminalConfig) -> Check:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(config.data_dir).free
    ok = free > 1_000_000_000
    return Check("disk", ok, "磁盘空间充足" if ok else "磁盘空间不足1GB，请清理", f"{free // 2**20} MiB free")


CORE_CHECKS = [check_store, check_policy, check_font, check_disk]
