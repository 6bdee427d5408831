"""Bounded input (issue #10): 256 MiB bodies, several at once, against a real `kiosk-central serve` process.

Content-Length over the cap is refused at once; a chunked body is counted while it streams (a stranger's is not
read at all); the server's resident memory grows by less than 50 MB meanwhile.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest

from kiosk.sync import enroll
from kiosk.wire import API
from tests.support.central import cli, signed_headers

HUGE = 256 * 1024 * 1024
CHUNK = b"x" * (1 << 20)


def _send_huge(port: int, path: str, headers: dict, chunked: bool) -> bytes:
    """Sends a 256 MiB body (or until the server stops it); returns what the server answered. A reader thread
    takes the answer off the socket as it arrives, so a reset after it cannot discard it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer, done = bytearray(), threading.Event()

    def read():
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass
        done.set()

    threading.Thread(target=read, daemon=True).start()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}{framing}\r\n\r\n".encode())
        sent = 0
        while sent < HUGE and not answer:
            sock.sendall(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK)
            sent += len(CHUNK)
    except OSError:
        pass  # the server closed the connection after answering
    done.wait(30)
    sock.close()
    return bytes(answer)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else 0


@pytest.mark.timeout(300)
def test_huge_bodies_are_refused_without_growing_the_server(central_process, tmp_path):
    server = central_process()
    code = cli("enroll-code", "--data", str(server.data), "--role", "school", "--school", "4114030012",
               "--county", "411403")
    identity = enroll(server.url, code.strip(), tmp_path / "kiosk")
    before = server.rss()
    peak, sampling = [before], True

    def sample():
        while sampling:
            peak.append(server.rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    jobs = []
    for path in ("/heartbeat", "/self-tests", "/records"):
        jobs.append((f"{API}{path}", {}, False))  # unauthenticated, Content-Length: 413 at once
        jobs.append((f"{API}{path}", {}, True))  # unauthenticated, chunked: 401 before a byte is read
        # a known terminal's well-formed headers (signature over an empty body): counted while streamed, 413
        jobs.append((f"{API}{path}", signed_headers(identity, "POST", f"{API}{path}", b""), True))
    jobs.append((f"{API}/enroll", {"Content-Type": "application/json"}, True))
    results = [None] * len(jobs)

    def run(i, job):
        results[i] = _status(_send_huge(server.port, *job))

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    sampling = False
    sampler.join()
    expected = [413, 401, 413] * 3 + [413]
    assert results == expected
    assert max(peak) - before < 50 * 1024 * 1024, f"server RSS grew by {(max(peak) - before) >> 20} MiB"
