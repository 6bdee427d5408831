"""Attachment storage, content-addressed by SHA-256: a directory (default) or an S3-compatible bucket (boto3).

Writes are idempotent (same bytes, same key), so a resent push never duplicates a photo. put_many() returns only
when every blob is durable: the database row that names one is committed after it. SealedStorage seals the bytes
(AES-GCM under the server's data key, the SHA-256 bound as associated data) before either store sees them.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from concurrent.futures import Executor
from pathlib import Path
from typing import Iterable, Protocol
from urllib.parse import urlparse


class AttachmentStorage(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...
    def put_many(self, blobs: Iterable[tuple[str, bytes]], pool: Executor | None = None) -> None: ...
    def get(self, sha256: str) -> bytes: ...


class FileStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for prefix in range(256):  # made once up front: a first file in a fresh directory costs a journal commit
            directory = self.root / f"{prefix:02x}"
            directory.mkdir(mode=0o700, exist_ok=True)
            for orphan in directory.glob(".tmp-*"):  # a crash between write and rename left it: nothing names it
                orphan.unlink(missing_ok=True)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.jpg"

    def put(self, sha256: str, data: bytes) -> None:
        self.put_many([(sha256, data)])

    def put_many(self, blobs: Iterable[tuple[str, bytes]], pool: Executor | None = None,
                 overwrite: bool = False) -> None:
        """Each file written to a temporary name and fsynced, renamed into place, then each directory holding one
        fsynced once (the renames durable). A blob already in place is not rewritten (unless overwrite: re-sealing
        replaces it atomically), but its directory is still synced: another request may have renamed it a moment
        ago and not yet synced."""
        wanted = dict(blobs)  # the same JPEG twice in one call is written once
        paths = {sha: self._path(sha) for sha in wanted}
        opened: list[tuple[int, str, Path]] = []
        synced = False
        try:
            for sha, path in paths.items():
                if overwrite or not path.exists():
                    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                    opened.append((fd, tmp, path))
                    _write_all(fd, wanted[sha])
            _each([fd for fd, _, _ in opened], os.fsync, pool)
            synced = True
        finally:
            for fd, tmp, _ in opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
                if not synced:
                    Path(tmp).unlink(missing_ok=True)
        try:
            for _, tmp, path in opened:
                os.replace(tmp, path)
        except BaseException:
            for _, tmp, _ in opened:
                Path(tmp).unlink(missing_ok=True)
            raise
        _each({path.parent for path in paths.values()}, _fsync_directory, pool)

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()


def _each(things, function, pool: Executor | None) -> None:
    """function(thing) for each; several fsyncs at once in the pool (they wait on the disk, not on the GIL, and
    the file system commits its journal for all of them together). The pool must not be the calling thread's."""
    if pool is not None and len(things) > 2:
        list(pool.map(function, things))
    else:
        for thing in things:
            function(thing)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}.jpg" if self.prefix else f"{sha256}.jpg"

    def put(self, sha256: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data, ContentType="image/jpeg")

    def put_many(self, blobs: Iterable[tuple[str, bytes]], pool: Executor | None = None) -> None:
        """PUT is durable when it answers; several at once overlap in the pool."""
        wanted = dict(blobs)
        if pool is not None and len(wanted) > 1:
            list(pool.map(self.put, wanted, wanted.values()))
        else:
            for sha, data in wanted.items():
                self.put(sha, data)

    def get(self, sha256: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"].read()


class SealedStorage:
    """Seals on the way in, opens on the way out; the inner storage holds ciphertext only."""

    def __init__(self, inner: AttachmentStorage, keys):
        self.inner, self.keys = inner, keys

    def put(self, sha256: str, data: bytes) -> None:
        self.put_many([(sha256, data)])

    def put_many(self, blobs: Iterable[tuple[str, bytes]], pool: Executor | None = None) -> None:
        self.inner.put_many([(sha, self.keys.seal_bytes(data, sha)) for sha, data in dict(blobs).items()], pool)

    def get(self, sha256: str) -> bytes:
        return self.keys.open_bytes(self.inner.get(sha256), sha256)

    def reseal(self, sha256: str) -> bool:
        """Rewrites one blob under the current key (rotate-key); False when it is already."""
        stored = self.inner.get(sha256)
        if self.keys.key_of(stored) == self.keys.current:
            return False
        blob = [(sha256, self.keys.seal_bytes(self.keys.open_bytes(stored, sha256), sha256))]
        if isinstance(self.inner, FileStorage):
            self.inner.put_many(blob, overwrite=True)  # renamed over the old file: never missing
        else:
            self.inner.put_many(blob)  # an object PUT replaces
        return True


def open_storage(spec: str, data_dir: Path, s3_endpoint: str | None = None, keys=None) -> AttachmentStorage:
    """'' -> files under data_dir/attachments; 's3://bucket/prefix' -> that bucket (credentials as boto3 finds them).
    With keys (central.records.DataKeys): sealed."""
    url = urlparse(spec)
    if not spec:
        inner = FileStorage(data_dir / "attachments")
    elif url.scheme == "s3":
        inner = S3Storage(url.netloc, url.path, endpoint_url=s3_endpoint)
    elif url.scheme in ("", "file"):
        inner = FileStorage(url.path or spec)
    else:
        raise ValueError(f"unknown attachment storage {spec!r}")
    return SealedStorage(inner, keys) if keys is not None else inner
