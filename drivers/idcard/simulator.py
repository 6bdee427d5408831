"""A reader on a pseudo-terminal that speaks GA 467 like the hardware, for tests, benchmarks and the UI demo.

The driver under test opens the pty's slave (symlinked at a stable path) exactly like a USB-UART. The simulator
paces its answers at the configured baud rate, ignores requests during the SAM warm-up and when the port's
speed differs from its own (as a real UART would), and can be steered through Python or a Unix control socket:

    place [FILE.json] | remove | fault NAME [CODE] [on=COMMAND] [times=N] | vanish | return | status

Faults (each applies to the next answer, or the next answer to COMMAND): garbage, bad_checksum, truncated,
silence, status CODE (e.g. `fault status 41 on=read`), remove_mid_read. `vanish` closes the pty and removes the
link (an unplugged USB reader); `return` brings a new pty back at the same path.
"""
from __future__ import annotations

import json
import logging
import os
import select
import socket
import termios
import threading
import time
import tty
from pathlib import Path

from .frame import FrameParser
from .reader import BAUD_RATES, BY_CODE, wire_time
from .responder import DEFAULT_SAM_ID, FAULTS, WLT_MAGIC, Fault, Responder, SimCard

__all__ = ["DEFAULT_SAM_ID", "FAULTS", "WLT_MAGIC", "Fault", "SimCard", "Simulator", "control"]

log = logging.getLogger(__name__)
_SPEEDS = {getattr(termios, f"B{b}"): b for b in BAUD_RATES}


class Simulator:
    def __init__(self, link: str | Path, card: SimCard | None = None, *, baud: int = 115200, warmup: float = 2.0,
                 control: str | Path | None = None, sam_id: bytes = DEFAULT_SAM_ID, read_delay: float = 0.0,
                 halt_after_read: bool = False):
        self.link = Path(link)
        self.responder = Responder(card, sam_id=sam_id, read_delay=read_delay, halt_after_read=halt_after_read)
        self.baud = baud
        self.warmup = warmup
        self.control_path = Path(control) if control else None
        self.requests: list[str] = []  # command names received, for tests
        self._lock = threading.RLock()
        self._master = self._slave = -1
        self._ready_at = 0.0
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._control: socket.socket | None = None

    @property
    def card(self) -> SimCard | None:
        return self.responder.card

    @property
    def present(self) -> bool:
        return self.responder.present

    # --- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> "Simulator":
        self._open_pty()
        self._ready_at = time.monotonic() + self.warmup
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()
        if self.control_path:
            self._start_control()
        return self

    def stop(self) -> None:
        self._stopping = True
        os.write(self._wake_w, b"x")
        if self._thread:
            self._thread.join(5)
        if self._control:
            self._control.close()
            self.control_path.unlink(missing_ok=True)
        self._close_pty()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> "Simulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[4] = attrs[5] = getattr(termios, f"B{self.baud}")
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(slave))
        with self._lock:
            self._master, self._slave = master, slave  # the slave stays open so a client's close is not EOF here

    def _close_pty(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1
        self.link.unlink(missing_ok=True)

    # --- steering --------------------------------------------------------------------------------------------

    def place(self, card: SimCard | None = None) -> None:
        self.responder.place(card)

    def remove(self) -> None:
        self.responder.remove()

    def inject(self, name: str, code: int = 0x41, on: str | None = None, times: int = 1) -> None:
        self.responder.inject(name, code, on, times)

    def vanish(self) -> None:
        """The USB reader is unplugged: the pty closes under the client and the device path disappears."""
        self._close_pty()
        os.write(self._wake_w, b"x")

    def come_back(self, warmup: float | None = None) -> None:
        """Plugged in again: a new pty at the same path, the SAM warming up again."""
        self._open_pty()
        self._ready_at = time.monotonic() + (self.warmup if warmup is None else warmup)
        os.write(self._wake_w, b"x")

    # --- serving ---------------------------------------------------------------------------------------------

    def _serve(self) -> None:
        parser = FrameParser()
        while not self._stopping:
            master = self._master
            watch = [self._wake_r] + ([master] if master >= 0 else [])
            try:
                ready, _, _ = select.select(watch, [], [], 1.0)
            except OSError:  # the pty vanished while we waited on it
                continue
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
                parser = FrameParser()
                continue
            if master not in ready:
                continue
            data = self._io(master, os.read, 4096)
            if not data:
                continue
            try:
                frames = parser.feed(data)
            except Exception:  # a garbled request: real readers stay silent
                parser = FrameParser()
                continue
            for payload in frames:
                self._handle(master, payload)

    def _line_ok(self) -> bool:
        if time.monotonic() < self._ready_at:
            return False  # SAM warming up: no answer
        try:
            return _SPEEDS.get(termios.tcgetattr(self._slave)[5]) == self.baud
        except (termios.error, OSError):
            return False

    def _handle(self, master: int, payload: bytes) -> None:
        if len(payload) < 2:
            return
        command = BY_CODE.get((payload[0], payload[1]))
        name = command.name if command else f"{payload[0]:02X}{payload[1]:02X}"
        self.requests.append(name)
        if not self._line_ok():
            return
        time.sleep(wire_time(len(payload) + 8, self.baud))  # the request's own time on the line
        frame = self.responder.respond(name, payload, self.baud)
        if frame is None:
            return
        self._send(master, frame)
        if name == "set_baud" and frame[9] == 0x90:
            self.baud = BAUD_RATES[payload[1]]

    def _send(self, master: int, frame: bytes) -> None:
        """Writes frame at the line's pace: each chunk leaves when a real UART would have finished sending it."""
        chunk = max(1, self.baud // 10 // 500)  # ~2 ms of line time per write
        start = time.monotonic()
        for offset in range(0, len(frame), chunk):
            piece = frame[offset : offset + chunk]
            delay = start + wire_time(offset + len(piece), self.baud) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._io(master, os.write, piece) is None:
                return  # unplugged mid-answer

    def _io(self, master: int, call, arg):
        """os.read/os.write on master unless it was closed (vanish) meanwhile; None on failure."""
        with self._lock:
            if master != self._master:
                return None
            try:
                return call(master, arg)
            except OSError:
                return None

    # --- control socket --------------------------------------------------------------------------------------

    def _start_control(self) -> None:
        self.control_path.unlink(missing_ok=True)
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._control.bind(str(self.control_path))
        self._control.listen(4)
        threading.Thread(target=self._accept, name="idcard-sim-control", daemon=True).start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._control.accept()
            except OSError:
                return
            with conn, conn.makefile("rw", encoding="utf-8") as stream:
                for line in stream:
                    stream.write(self.command(line) + "\n")
                    stream.flush()

    def command(self, line: str) -> str:
        """Runs one control-socket command line; returns 'ok ...' or 'error ...'."""
        words = line.split()
        if not words:
            return "error empty command"
        verb, rest = words[0], words[1:]
        try:
            if verb == "place":
                self.place(SimCard.load(rest[0]) if rest else None)
            elif verb == "remove":
                self.remove()
            elif verb == "fault":
                options = dict(w.split("=", 1) for w in rest[1:] if "=" in w)
                codes = [w for w in rest[1:] if "=" not in w]
                self.inject(rest[0], int(codes[0], 16) if codes else 0x41, options.get("on"),
                            int(options.get("times", 1)))
            elif verb == "vanish":
                self.vanish()
            elif verb == "return":
                self.come_back()
            elif verb != "status":
                return f"error unknown command {verb}"
        except (IndexError, KeyError, TypeError, ValueError, OSError) as exc:  # bad command or card file
            return f"error {exc}"
        return "ok " + json.dumps({"present": self.present, "port": self._master >= 0, "baud": self.baud})


def control(path: str | Path, line: str, timeout: float = 5.0) -> str:
    """Sends one command to a running simulator's control socket and returns its reply line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(line.strip().encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            piece = sock.recv(4096)
            if not piece:
                break
            reply += piece
    return reply.decode().strip()
