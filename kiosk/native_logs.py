"""Native libraries' log noise (MediaPipe's absl/glog lines, TensorFlow Lite's "Created ... delegate") kept off the
terminal's stderr: the one place that deals with it, called by the entry points before MediaPipe loads.

GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL are set (they quiet glog and TensorFlow builds that read them), but the
absl logging in mediapipe 0.10.21's wheel and TF Lite's delegate message ignore every environment variable, so
file descriptor 2 is routed through a pipe and a small thread forwards every line that is not such a native log
line. Python's own output on stderr (our Chinese errors, the JSON log lines) passes unchanged; at exit the pipe is
drained and the real stderr restored, so nothing written last is lost.
"""
from __future__ import annotations

import atexit
import os
import re
import sys
import threading

ENVIRONMENT = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
NATIVE_LINE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.]+:\d+\]"  # absl/glog: W0000 00:00:17.9 123 file.cc:114]
    rb"|INFO: Created TensorFlow Lite .*delegate"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called)")

_installed: "_Filter | None" = None


class _Filter:
    def __init__(self):
        sys.stderr.flush()
        self.real = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self.read = read
        self.thread = threading.Thread(target=self._forward, name="native-log-filter", daemon=True)
        self.thread.start()

    def _forward(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self.read, 65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            self._write(lines)
        if pending:
            self._write([pending], newline=False)

    def _write(self, lines: list[bytes], newline: bool = True) -> None:
        kept = [line for line in lines if not NATIVE_LINE.match(line)]
        if kept:
            data = b"\n".join(kept) + (b"\n" if newline else b"")
            try:
                while data:
                    data = data[os.write(self.real, data):]
            except OSError:  # the real stderr is gone: keep draining, or writers to fd 2 would block on the pipe
                pass

    def close(self) -> None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self.real, 2)  # the pipe's last writer closes: the thread reads to the end and stops
        self.thread.join(2)
        os.close(self.read)


def quiet_native_logs() -> None:
    """Sets the environment and installs the stderr filter (once per process). Call before MediaPipe loads."""
    global _installed
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    if _installed is None:
        try:
            _installed = _Filter()
        except OSError:  # no usable fd 2 (a daemon without stderr): nothing to keep clean
            return
        atexit.register(_installed.close)
