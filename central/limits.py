"""Bounded input, before anything else reads a byte: a pure ASGI middleware in front of the whole app.

- Content-Length over the route's cap -> 413 at once, nothing read;
- a chunked body is counted while it streams and refused (413) the moment it passes the cap;
- a request to a signed route whose headers do not name a known terminal is answered (401) before its body is
  read, so a stranger never makes the server buffer more than the small unauthenticated cap;
- the body, once complete and within its cap, is handed to the app from memory (the app reads it once).
The push cap derives from the batch size and the policies' JPEG limits (push_cap()). A gate per path (the upload
gate: queueing-delay admission, then a cap on the count in flight) admits a request after the header checks and
before its body is read.
"""
from __future__ import annotations

import json
import math
import time

import anyio
from typing import Awaitable, Callable

from kiosk.wire import API, MAX_BATCH

SMALL_CAP = 4096  # enroll, and anything not named below
# the largest body the schema admits, every character escaped as \uXXXX (6 bytes), with room for the framing
CAPS = {f"{API}/heartbeat": 128 * 1024, f"{API}/self-tests": 1536 * 1024, f"{API}/corrections/ack": 64 * 1024}
RECORD_JSON_CAP = 64 * 1024  # a record within the field limits (kiosk.wire.rules), escaped the same way


def push_cap(policies) -> int:
    """Bytes of the largest valid push: a full batch, each record with both JPEGs at the policy's limit (base64)."""
    largest = max((p.photo.max_bytes + p.document.max_bytes for p in policies), default=400_000)
    return MAX_BATCH * (RECORD_JSON_CAP + math.ceil(largest / 3) * 4 + 256) + SMALL_CAP


def _too_large(cap: int) -> str:
    """In Chinese first: the operator console's uploads and forms are bounded here too."""
    return f"提交的内容过大（上限 {cap // 1024} KB）; request body larger than {cap} bytes"


def _problem(status: int, detail: str, headers: dict | None = None):
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return [{"type": "http.response.start", "status": status, "headers": head},
            {"type": "http.response.body", "body": body}]


class BodyLimit:
    """caps: path -> bytes (others SMALL_CAP). precheck(scope) -> None, or (status, detail) to answer before the
    body is read (signed routes: headers missing or the terminal unknown)."""

    def __init__(self, app, caps: dict[str, int], precheck: Callable[[dict], Awaitable[tuple[int, str] | None]],
                 gates: dict | None = None, prefix_caps: dict[str, int] | None = None):
        self.app, self.caps, self.precheck, self.gates = app, caps, precheck, gates or {}
        self.prefix_caps = prefix_caps or {}  # path prefix -> bytes, for paths not named in caps

    def cap(self, path: str) -> int:
        if path in self.caps:
            return self.caps[path]
        return next((cap for prefix, cap in self.prefix_caps.items() if path.startswith(prefix)), SMALL_CAP)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cap = self.cap(scope["path"])
        length = _content_length(scope)
        if length is not None and length > cap:
            return await _answer(send, 413, _too_large(cap))
        refused = await self.precheck(scope)
        if refused:
            return await _answer(send, *refused)
        gate = self.gates.get(scope["path"])
        if gate is None:
            return await self._read_and_call(scope, receive, send, cap, length)
        admission, counter = gate
        if not admission.admit():  # a standing queue: shed before reading the body
            return await _answer(send, 503, "server busy", {"Retry-After": counter.retry_after()})
        token = await _blocking(counter, counter.try_enter)  # counted from the first body byte read to the answer
        if not token:
            return await _answer(send, 503, "too many uploads in progress", {"Retry-After": counter.retry_after()})
        try:
            await self._read_and_call(scope, receive, send, cap, length)
        finally:
            await _blocking(counter, counter.leave, token)

    async def _read_and_call(self, scope, receive, send, cap: int, length: int | None) -> None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap or (length is not None and size > length):
                return await _answer(send, 413, _too_large(cap))
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, delivered = b"".join(chunks), False
        del chunks
        scope.setdefault("state", {})["admitted_at"] = time.monotonic()  # queueing delay counts from here

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # the app waits for a disconnect (streaming responses)
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _blocking(owner, method, *args):
    """A shared (database) gate blocks: in a worker thread; the in-memory one runs here."""
    if getattr(owner, "shared", False):
        return await anyio.to_thread.run_sync(method, *args)
    return method(*args)


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value) if value.isdigit() and len(value) < 19 else math.inf
            except ValueError:
                return math.inf
    return None


async def _answer(send, status: int, detail: str, headers: dict | None = None) -> None:
    for message in _problem(status, detail, headers):
        await send(message)
