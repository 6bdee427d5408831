"""A virtual contactless badge for vsmartcard's vpcd: insert() connects to vpcd, remove() disconnects.

vpcd (a pcscd driver) listens on TCP 35999 (reader 0) and 36000 (reader 1). Messages both ways are a 2-byte
big-endian length and a body: from vpcd either one control byte (0 power off, 1 power on, 2 reset, 4 send ATR)
or an APDU to answer. This card answers GET UID (FF CA 00 00 00) with its UID, everything else with 6D 00.
"""
from __future__ import annotations

import socket
import struct
import threading
import time

# PC/SC part 3 ATR of a contactless storage card (MIFARE Classic 1K), as PC/SC readers synthesise it.
ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class VirtualBadge:
    def __init__(self, uid: bytes, host: str = "127.0.0.1", port: int = 35999):
        self.uid = uid
        self.address = (host, port)
        self.apdus: list[bytes] = []  # what the card was asked, for tests
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection(self.address, timeout=1.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), name="vicc", daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        """False once removed, or once vpcd dropped the connection (pcscd stopped or crashed)."""
        return self._thread is not None and self._thread.is_alive()

    def remove(self) -> None:
        """Takes the badge off the reader; harmless if it is not on one or vpcd already went away."""
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # vpcd closed it first
            self._sock.close()
            self._thread.join(5)
            self._sock = self._thread = None

    def answer(self, apdu: bytes) -> bytes:
        self.apdus.append(apdu)
        if apdu[:4] == b"\xff\xca\x00\x00":
            return self.uid + b"\x90\x00"
        return b"\x6d\x00"

    def _serve(self, sock: socket.socket) -> None:
        try:
            while message := _receive(sock):
                if len(message) == 1:
                    if message[0] == GET_ATR:
                        _send(sock, ATR)
                    continue  # power on/off and reset need no answer
                _send(sock, self.answer(message))
        except OSError:
            pass  # removed


def _receive(sock: socket.socket) -> bytes:
    header = _exactly(sock, 2)
    return _exactly(sock, struct.unpack(">H", header)[0]) if header else b""


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = sock.recv(size - len(data))
        if not piece:
            return b""
        data += piece
    return data


def _send(sock: socket.socket, body: bytes) -> None:
    sock.sendall(struct.pack(">H", len(body)) + body)
