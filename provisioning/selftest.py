"""The self-test: every check, one JSON report signed with the terminal key, kept locally and sent to the server.

The local copy (<data_dir>/selftest/<UTC time>.json, newest also as latest.json) carries a detached Ed25519
signature over its canonical JSON (sorted keys, no spaces) so a report handed over on a USB stick can be checked
against the terminal's enrolled public key. The upload goes through the signed client (kiosk.sync), in the wire
schema's shape: each check's `ok` plus "status: English | Chinese" as its detail.
"""
from __future__ import annotations

import base64
import json
import logging
import time

from kiosk.errors import KioskError
from kiosk.files import write_json

from .checks import CORE_CHECKS, STATUS_NAMES, Check, Context, worst
from .device_checks import DEVICE_CHECKS
from .network import probe_server
from .version import app_version

log = logging.getLogger(__name__)
KEEP_REPORTS = 50


def run_checks(ctx: Context, *, core_only: bool = False, devices: bool = True) -> list[Check]:
    """core_only: this machine's software and data (the update health check); devices=False: no peripherals
    (the daily timer, while the running kiosk holds them)."""
    checks = [check(ctx) for check in CORE_CHECKS]
    if core_only:
        return checks
    for check in DEVICE_CHECKS if devices else ():
        try:
            checks.append(check(ctx))
        except Exception as exc:  # a driver that blows up is a failed check, never a stopped self-test
            log.exception("device check crashed", extra={"fields": {"check": check.__name__}})
            checks.append(Check(check.__name__.removeprefix("check_"), "error", "设备自检出错，请联系技术支持",
                                repr(exc)[:500]))
    checks.extend(probe_server(ctx))
    return checks


def canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _identity(ctx: Context):
    from kiosk.sync.identity import TerminalIdentity

    try:
        return TerminalIdentity.load(ctx.paths.sync_dir)
    except KioskError:
        return None


def build_report(ctx: Context, checks: list[Check], identity=None) -> dict:
    body = {
        "terminal_id": identity.terminal_id if identity else ctx.config.terminal_id,
        "app_version": app_version(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.clock())),
        "status": worst(checks),
        "ok": all(c.ok for c in checks),
        "checks": [c.as_json() for c in checks],
    }
    if identity is None:
        return body | {"signature": None}
    from kiosk.sync.identity import public_bytes

    return body | {"signature": {"alg": "Ed25519", "public_key": base64.b64encode(public_bytes(identity.key)).decode(),
                                 "value": identity.key.sign(canonical(body)).hex()}}


def verify_report(report: dict, public_key: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = {k: v for k, v in report.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(report["signature"]["value"]),
                                                              canonical(body))
        return True
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False


def keep(ctx: Context, report: dict) -> str:
    folder = ctx.paths.selftest
    stamp = report["created_at"].replace(":", "").replace("-", "")
    path = folder / f"{stamp}.json"
    write_json(path, report, mode=0o600)
    write_json(folder / "latest.json", report, mode=0o600)
    old = sorted(p for p in folder.glob("*.json") if p.name != "latest.json")[:-KEEP_REPORTS]
    for stale in old:
        stale.unlink(missing_ok=True)
    return str(path)


def upload(report: dict, identity, transport=None) -> tuple[bool, str]:
    from kiosk.sync.client import open_client, send_self_test
    from kiosk.sync.wire import SelfTestCheck, SelfTestReport

    if identity is None:
        return False, "终端尚未注册，报告只保存在本地"
    wire = SelfTestReport(app_version=report["app_version"][:64], checks=[
        SelfTestCheck(name=c["name"], ok=c["ok"], detail=f"{c['status']}: {c['detail']} | {c['message']}"[:1000])
        for c in report["checks"]])
    with open_client(identity, timeout=10.0, transport=transport) as client:
        sent = send_self_test(client, wire)
    return sent, "报告已上传中心服务器" if sent else "报告上传失败（服务器不可达或拒绝），已保存在本地"


def selftest(ctx: Context, *, send: bool = True, core_only: bool = False, devices: bool = True,
             transport=None) -> dict:
    """Runs the checks, signs, keeps and (unless send=False) uploads the report; returns it with the outcome."""
    checks = run_checks(ctx, core_only=core_only, devices=devices)
    identity = _identity(ctx)
    report = build_report(ctx, checks, identity)
    saved = keep(ctx, report)
    uploaded, note = upload(report, identity, transport) if send else (False, "未上传（--no-upload）")
    log.info("self-test done", extra={"fields": {"status": report["status"], "uploaded": uploaded}})
    return report | {"saved": saved, "uploaded": uploaded, "upload_note": note}


def print_report(report: dict) -> None:
    for c in report["checks"]:
        print(f"[{STATUS_NAMES[c['status']]}] {c['name']}: {c['message']}")
        print(f"        {c['detail']}")
    print(f"总体：{STATUS_NAMES[report['status']]}；{report['upload_note']}；报告 {report['saved']}")
