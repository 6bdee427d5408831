"""Attachment storage, content-addressed by SHA-256: a directory (default) or an S3-compatible bucket (boto3).

Writes are idempotent (same bytes, same key), so a resent push never duplicates a photo.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse


class AttachmentStorage(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...
    def get(self, sha256: str) -> bytes: ...


class FileStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        for prefix in range(256):  # made once up front: a first file in a fresh directory costs a journal commit
            (self.root / f"{prefix:02x}").mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.jpg"

    def put(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # durable before the database says we have it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}.jpg" if self.prefix else f"{sha256}.jpg"

    def put(self, sha256: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data, ContentType="image/jpeg")

    def get(self, sha256: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"].read()


def open_storage(spec: str, data_dir: Path, s3_endpoint: str | None = None) -> AttachmentStorage:
    """'' -> files under data_dir/attachments; 's3://bucket/prefix' -> that bucket (credentials as boto3 finds them)."""
    if not spec:
        return FileStorage(data_dir / "attachments")
    url = urlparse(spec)
    if url.scheme == "s3":
        return S3Storage(url.netloc, url.path, endpoint_url=s3_endpoint)
    if url.scheme in ("", "file"):
        return FileStorage(url.path or spec)
    raise ValueError(f"unknown attachment storage {spec!r}")
