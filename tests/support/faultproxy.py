"""A small HTTP-aware TCP fault proxy on loopback, for sync fault tests.

It relays one HTTP/1.1 request and its response at a time (Content-Length bodies, which is what httpx and uvicorn
send here) and injects the next queued fault:
  down      - the connection is cut before anything reaches the server
  slow      - the request is forwarded after a delay
  error500  - the proxy answers 500 itself, the server never sees the request
  lost      - the request reaches the server (it commits), then the client's connection is reset: the reply is lost
  duplicate - the request is delivered to the server twice (the second copy is a replay); the client gets the
              first reply and the second reply's status line is kept in .duplicate_replies
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    message = bytes(buffer[:head_end + length])
    del buffer[:head_end + length]
    return message


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, slow_s: float = 0.5):
        self.upstream = ("127.0.0.1", upstream_port)
        self.slow_s = slow_s
        self.faults: deque[str] = deque()
        self.injected: list[str] = []
        self.duplicate_replies: list[str] = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def inject(self, *faults: str) -> None:
        with self.lock:
            self.faults.extend(faults)

    def _next_fault(self) -> str:
        with self.lock:
            fault = self.faults.popleft() if self.faults else "pass"
            if fault != "pass":
                self.injected.append(fault)
            return fault

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _exchange(self, request: bytes) -> bytes | None:
        with socket.create_connection(self.upstream) as upstream:
            upstream.sendall(request)
            return _read_message(upstream, bytearray())

    def _serve(self, client: socket.socket) -> None:
        buffer = bytearray()
        try:
            while True:
                request = _read_message(client, buffer)
                if request is None:
                    client.close()
                    return
                fault = self._next_fault()
                if fault == "down":
                    return _reset(client)
                if fault == "error500":
                    client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                    continue
                if fault == "slow":
                    time.sleep(self.slow_s)
                reply = self._exchange(request)
                if fault == "duplicate":
                    second = self._exchange(request)
                    self.duplicate_replies.append(second.split(b"\r\n", 1)[0].decode() if second else "")
                if fault == "lost" or reply is None:
                    return _reset(client)
                client.sendall(reply)
        except OSError:
            client.close()
