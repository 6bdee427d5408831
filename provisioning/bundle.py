"""Release bundles: one file a technician carries on a USB stick, signed with the project's Ed25519 release key.

A bundle is an uncompressed tar of exactly three members:
    manifest.json   {"format": 1, "version", "kind": "venv" | "wheels", "payload_sha256", "payload_size", "created"}
    manifest.sig    hex Ed25519 signature over manifest.json's bytes
    payload.tar.gz  kind "venv": the release tree itself (bin/kiosk, bin/kiosk-provision, lib/...), built at
                    /opt/kiosk/releases/<version> on the build machine (venv scripts carry absolute paths);
                    kind "wheels": wheels/*.whl (the hashed lock's set plus the project), installed on the
                    terminal into a fresh venv at its final place with pip --no-index --no-deps, and
                    wheels/share/ (the face model: share/kiosk/models/...) copied into that venv's prefix
Nothing is parsed before its signature is checked; the payload is hashed while it is copied out, and unpacked with
tarfile's "tar" filter (no absolute member names, nothing outside the release tree, no setuid bits; symlinks may
point outside, as a venv's bin/python points at the system interpreter).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
import tempfile
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.errors import KioskError

RELEASE_KEY = Path(__file__).with_name("release-key.pub")
MEMBERS = ("manifest.json", "manifest.sig", "payload.tar.gz")
MAX_BUNDLE = 2 * 2**30
MAX_MANIFEST = 64 * 1024
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


def load_public_key(path: str | Path | None = None) -> Ed25519PublicKey:
    path = Path(path or RELEASE_KEY)
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(path.read_text().split()[0], validate=True))
    except (OSError, ValueError, IndexError):
        raise KioskError("发布公钥文件无法读取，无法验证升级包", detail=f"bad release key {path}") from None


def generate_key(private_path: Path, public_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    private_path.touch(mode=0o600)
    private_path.write_text(base64.b64encode(raw).decode() + "\n")
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_path.write_text(base64.b64encode(public).decode() + "\n")


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(Path(path).read_text().strip(), validate=True))
    except (OSError, ValueError):
        raise KioskError("发布私钥文件无法读取", detail=f"bad release private key {path}") from None


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    tar.addfile(info, io.BytesIO(data))


def build(source: Path, version: str, key: Ed25519PrivateKey, out: Path, kind: str = "venv") -> Path:
    """Packs the directory `source` (a release tree, or a folder of wheels for kind "wheels") into a signed bundle."""
    if not VERSION.match(version):
        raise KioskError("版本号格式不正确", detail=f"bad version {version!r}")
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        tar.add(source, arcname="wheels" if kind == "wheels" else ".")
    data = payload.getvalue()
    manifest = json.dumps({"format": 1, "version": version, "kind": kind, "payload_size": len(data),
                           "payload_sha256": hashlib.sha256(data).hexdigest(),
                           "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=1).encode()
    with tarfile.open(out, "w") as tar:
        _add(tar, "manifest.json", manifest)
        _add(tar, "manifest.sig", key.sign(manifest).hex().encode())
        _add(tar, "payload.tar.gz", data)
    return out


def _refuse(reason: str, detail: str) -> KioskError:
    return KioskError(f"升级包无效：{reason}，未做任何更改", detail=detail)


def verify(bundle: Path, public_key: Ed25519PublicKey, workdir: Path) -> tuple[dict, Path]:
    """Checks the bundle; returns (manifest, path of the verified payload copied into workdir)."""
    try:
        size = bundle.stat().st_size
    except OSError:
        raise KioskError(f"找不到升级包：{bundle}", detail=f"no bundle {bundle}") from None
    if size > MAX_BUNDLE:
        raise _refuse("文件过大", f"{size} bytes")
    try:
        with tarfile.open(bundle, "r:") as tar:
            members = {}
            for member in tar:  # never more than one header past the three expected
                members[member.name] = member
                if len(members) > len(MEMBERS):
                    break
            if sorted(members) != sorted(MEMBERS) or not all(m.isfile() for m in members.values()):
                raise _refuse("内容不完整或多出文件", f"members {sorted(members)[:10]}")
            if members["manifest.json"].size > MAX_MANIFEST or members["manifest.sig"].size > 256:
                raise _refuse("清单过大", "manifest too large")
            manifest_bytes = tar.extractfile("manifest.json").read()
            signature = tar.extractfile("manifest.sig").read().strip()
            try:
                public_key.verify(bytes.fromhex(signature.decode("ascii")), manifest_bytes)
            except (InvalidSignature, ValueError, UnicodeDecodeError):
                raise _refuse("签名校验失败（不是本项目发布的升级包，或已被改动）", "bad signature") from None
            manifest = json.loads(manifest_bytes)
            if manifest.get("format") != 1 or manifest.get("kind") not in ("venv", "wheels") or \
                    not VERSION.match(str(manifest.get("version", ""))):
                raise _refuse("清单格式不支持", f"manifest {manifest_bytes[:200]!r}")
            if members["payload.tar.gz"].size != manifest["payload_size"]:
                raise _refuse("内容与清单不符", "payload size differs")
            digest, target = hashlib.sha256(), workdir / "payload.tar.gz"
            with tar.extractfile("payload.tar.gz") as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
            if digest.hexdigest() != manifest["payload_sha256"]:
                raise _refuse("内容与清单不符（可能已损坏）", "payload hash differs")
    except (tarfile.TarError, json.JSONDecodeError, EOFError) as exc:
        raise _refuse("文件已损坏", repr(exc)) from None
    return manifest, target


def unpack(payload: Path, destination: Path) -> None:
    with tarfile.open(payload, "r:gz") as tar:
        tar.extractall(destination, filter="tar")


def temporary_dir(parent: Path) -> tempfile.TemporaryDirectory:
    parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=parent, prefix=".incoming-")


def _keygen(args) -> int:
    generate_key(Path(args.private), Path(args.public))
    print(f"已生成发布密钥：私钥 {args.private}（务必离线保管），公钥 {args.public}（替换 provisioning/release-key.pub）")
    return 0


def _build(args) -> int:
    out = build(Path(args.source), args.version, load_private_key(args.key), Path(args.out), kind=args.kind)
    print(f"已生成升级包 {out}（版本 {args.version}）")
    return 0


def register(sub) -> None:
    p = sub.add_parser("release", help="发布人员用：生成发布密钥、制作签名升级包")
    commands = p.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    keygen = commands.add_parser("keygen", help="生成 Ed25519 发布密钥对")
    keygen.add_argument("--private", required=True)
    keygen.add_argument("--public", required=True)
    keygen.set_defaults(handler=_keygen)
    make = commands.add_parser("build", help="把版本目录（venv）或 wheel 目录打成签名升级包")
    make.add_argument("--source", required=True)
    make.add_argument("--version", required=True)
    make.add_argument("--key", required=True, help="发布私钥文件")
    make.add_argument("--out", required=True)
    make.add_argument("--kind", choices=["venv", "wheels"], default="venv")
    make.set_defaults(handler=_build)
