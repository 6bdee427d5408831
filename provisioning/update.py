"""`kiosk-provision update --bundle FILE`: verify, install beside the current release, switch, health-check, roll back.

    <prefix>/releases/<version>/   one tree per release (a venv: bin/kiosk, bin/kiosk-provision, lib/...)
    <prefix>/current  -> releases/<version>    what kiosk.service runs (switched by rename: atomic)
    <prefix>/previous -> releases/<version>    the one before, kept for a manual or automatic rollback
    <prefix>/updates.json                      the outcome of every update, newest last

The bundle is verified and unpacked before anything changes. The switch waits for the update lock (no student is
mid-registration, and none can start until the update is done). The store is copied (SQLite's backup API) before
the switch: a new release that migrated the schema and then failed would leave the old release a database it
refuses to open, so a rollback restores the copy when the schema version moved (nothing is registered meanwhile:
the lock is held; outbox acknowledgements lost that way are resent, and resends are idempotent). Healthy means: the new release's own
`kiosk-provision selftest --core` passes, and, on an appliance, kiosk.service restarts on it and reports READY
(Type=notify makes `systemctl restart` wait for that) within the time allowed. Otherwise the links go back and
the service is restarted on the old release.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths
from kiosk.update_lock import UpdateBusy, exclusive

from . import bundle

log = logging.getLogger(__name__)
HISTORY = 30


class Releases:
    def __init__(self, prefix: str | Path):
        self.prefix = Path(prefix)
        self.dir = self.prefix / "releases"

    def version(self, link: str) -> str | None:
        try:
            return Path(os.readlink(self.prefix / link)).name
        except OSError:
            return None

    def point(self, link: str, version: str | None) -> None:
        """Atomically (re)points prefix/link at releases/version (None removes the link)."""
        path = self.prefix / link
        if version is None:
            path.unlink(missing_ok=True)
            return
        tmp = self.prefix / f".{link}.new"
        tmp.unlink(missing_ok=True)
        os.symlink(Path("releases") / version, tmp)
        os.replace(tmp, path)

    def manifest(self, version: str | None) -> dict:
        if not version:
            return {}
        try:
            return json.loads((self.dir / version / "release.json").read_text())
        except (OSError, ValueError):
            return {"version": version}

    def history(self) -> list[dict]:
        try:
            return json.loads((self.prefix / "updates.json").read_text())
        except (OSError, ValueError):
            return []

    def record(self, entry: dict) -> None:
        from kiosk.files import write_json

        write_json(self.prefix / "updates.json", (self.history() + [entry])[-HISTORY:])

    def prune(self) -> None:
        keep = {self.version("current"), self.version("previous")}
        for tree in self.dir.iterdir():
            if tree.is_dir() and not tree.name.startswith(".") and tree.name not in keep:
                shutil.rmtree(tree, ignore_errors=True)


def _stage(manifest: dict, payload: Path, work: Path, target: Path) -> None:
    """Puts the release tree at target. A wheel set becomes a venv made in place (venv scripts carry their
    absolute path), the wheels installed without an index or dependency resolution (the set is complete), and its
    share/ folder (the face model) copied into the venv's prefix."""
    try:
        if manifest["kind"] == "venv":
            tree = work / "tree"
            bundle.unpack(payload, tree)
            tree.rename(target)
        else:
            bundle.unpack(payload, work)
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True,
                           capture_output=True, timeout=300)
            subprocess.run([sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
                            "--no-index", "--no-deps", "--quiet", *map(str, sorted((work / "wheels").glob("*.whl")))],
                           check=True, capture_output=True, timeout=900)
            if (work / "wheels" / "share").is_dir():  # data the wheels do not carry (the face model) into the prefix
                shutil.copytree(work / "wheels" / "share", target / "share", dirs_exist_ok=True)
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        raise KioskError("升级包中的软件无法安装，未做任何更改", detail=f"{exc!r} {stderr[-500:]!r}") from None
    (target / "release.json").write_text(json.dumps(manifest, indent=1))


def _schema(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def _copy_db(source: Path, target: Path) -> None:
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup_store(paths: TerminalPaths) -> Path | None:
    if not paths.store.exists():
        return None
    tmp = paths.update_backup.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # the store's sealed personal data
    _copy_db(paths.store, tmp)
    os.replace(tmp, paths.update_backup)
    return paths.update_backup


def restore_store(paths: TerminalPaths, backup: Path | None, service: str | None) -> bool:
    """Puts the pre-update store back if the failed release changed its schema; True if it did."""
    if backup is None or _schema(paths.store) == _schema(backup):
        return False
    if service:
        subprocess.run(["systemctl", "stop", service], check=False, capture_output=True, timeout=120)
    _copy_db(backup, paths.store)
    return True


def health(releases: Releases, config: str | None, timeout: float, service: str | None) -> tuple[bool, str]:
    """The new release's own self-test through the `current` link, then (appliance) the service's restart."""
    deadline = time.monotonic() + timeout
    command = [str(releases.prefix / "current" / "bin" / "kiosk-provision"), "selftest", "--core", "--json",
               "--no-upload"] + (["--config", config] if config else [])
    try:
        result = subprocess.run(command, check=False, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"self-test did not finish within {timeout:g}s"
    except OSError as exc:
        return False, f"self-test could not start: {exc}"
    if result.returncode != 0:
        return False, f"self-test exit {result.returncode}: {result.stdout[-300:]!r} {result.stderr[-300:]!r}"
    if service:
        left = max(1.0, deadline - time.monotonic())
        try:
            subprocess.run(["systemctl", "restart", service], check=True, capture_output=True, timeout=left)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"{service} did not report ready: {exc!r}"
    return True, "ok"


def apply(bundle_path: str | Path, *, prefix: str | Path, config: str | None, wait: float = 600.0,
          health_timeout: float = 120.0, service: str | None = None, release_key: str | None = None,
          on_wait=None) -> dict:
    releases = Releases(prefix)
    releases.dir.mkdir(parents=True, exist_ok=True)
    key = bundle.load_public_key(release_key)
    old, old_previous = releases.version("current"), releases.version("previous")
    with bundle.temporary_dir(releases.dir) as work:
        manifest, payload = bundle.verify(Path(bundle_path), key, Path(work))
        version = manifest["version"]
        if version == old:
            raise KioskError(f"已经是版本 {version}，无需升级", detail="same version")
        target = releases.dir / version
        if version != old_previous:  # the previous release's tree is kept as it is
            shutil.rmtree(target, ignore_errors=True)
            _stage(manifest, payload, Path(work), target)
    paths = TerminalPaths.at(TerminalConfig.load(config).data_dir if config else None)
    lock = paths.update_lock
    entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "from": old, "to": version}
    try:
        with exclusive(lock, wait, on_wait=on_wait):
            backup = backup_store(paths)
            releases.point("current", version)
            releases.point("previous", old)
            healthy, why = health(releases, config, health_timeout, service)
            if not healthy:
                releases.point("current", old)
                releases.point("previous", old_previous)
                if restore_store(paths, backup, service):
                    why += "; store restored from the pre-update copy (schema had changed)"
                if service and old:
                    subprocess.run(["systemctl", "restart", service], check=False, capture_output=True,
                                   timeout=health_timeout)
    except UpdateBusy:
        if version != old_previous:  # the tree unpacked for nothing; the previous release stays
            shutil.rmtree(releases.dir / version, ignore_errors=True)
        releases.record(entry | {"outcome": "waited too long for the update lock"})
        raise KioskError(f"等待{wait:g}秒后仍有考生在登记，未升级；请稍后重试", detail="update lock busy") from None
    releases.record(entry | {"outcome": "installed" if healthy else "rolled back", "reason": why})
    log.info("update", extra={"fields": entry | {"healthy": healthy, "reason": why}})
    releases.prune()
    if not healthy:
        raise KioskError(f"新版本 {version} 未通过健康检查，已自动回退到 {old or '原版本'}", detail=why)
    return {"version": version, "previous": old}


def _run(args) -> int:
    result = apply(args.bundle, prefix=args.prefix, config=args.config, wait=args.wait,
                   health_timeout=args.health_timeout, service=default_service(args.service),
                   release_key=args.release_key,
                   on_wait=lambda: print("有考生正在登记，等待其完成后再升级……", flush=True))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"已升级到版本 {result['version']}（上一版本 {result['previous'] or '无'}，可回退）")
    return 0


def register(sub) -> None:
    p = sub.add_parser("update", help="用签名的升级包升级终端软件（验证、切换、健康检查，失败自动回退）")
    p.add_argument("--bundle", required=True, help="升级包文件")
    p.add_argument("--config", help="终端配置文件（健康检查和升级锁用）")
    p.add_argument("--prefix", default="/opt/kiosk", help="软件版本目录")
    p.add_argument("--wait", type=float, default=600.0, help="等待正在登记的考生完成的最长秒数（默认600）")
    p.add_argument("--health-timeout", type=float, default=120.0, help="新版本须在此秒数内通过健康检查（默认120）")
    p.add_argument("--service", default="auto",
                   help="健康检查时重启的服务（默认：已安装 kiosk.service 时重启它；none：不重启）")
    p.add_argument("--release-key", help=argparse.SUPPRESS)  # a staging key for test builds
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)


def default_service(choice: str) -> str | None:
    if choice == "auto":
        installed = Path("/etc/systemd/system/kiosk.service").exists() and shutil.which("systemctl")
        return "kiosk.service" if installed else None
    return None if choice in ("", "none") else choice
