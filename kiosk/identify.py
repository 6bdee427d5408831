"""A technician's "which terminal is this?" request: the kiosk flashes its screen and beeps for a while.

`kiosk-provision identify` writes <data_dir>/identify.json ({"until": epoch seconds}); the running app polls it
from its UI loop about once a second (a file, so it works across users and without a PID) and, while it is
pending, flashes the screen with the terminal id in large type and beeps; `kiosk-provision identify --stop` or
the end of the time clears it.

    left = identify.pending(paths.identify_request)   # seconds left, or None (also clears an expired request)
    identify.write_beep(path)                          # a short WAV tone for the app's sound player, once
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

MAX_SECONDS = 600


def request(path: str | os.PathLike, seconds: float = 60.0) -> float:
    from kiosk.files import write_json

    seconds = max(1.0, min(float(seconds), MAX_SECONDS))
    until = time.time() + seconds
    write_json(path, {"until": until}, mode=0o644)
    return until


def pending(path: str | os.PathLike, now: float | None = None) -> float | None:
    path = Path(path)
    try:
        if path.stat().st_size > 4096:
            raise ValueError("oversized")
        until = float(json.loads(path.read_text(encoding="utf-8"))["until"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        clear(path)  # unreadable: nobody asked in a way we understand
        return None
    left = until - (time.time() if now is None else now)
    if left <= 0 or left > MAX_SECONDS + 5:
        clear(path)
        return None
    return left


def clear(path: str | os.PathLike) -> None:
    Path(path).unlink(missing_ok=True)


def write_beep(path: str | os.PathLike, hz: float = 880.0, seconds: float = 0.25, rate: int = 16000) -> Path:
    """A short sine tone as a 16-bit mono WAV (Kivy: SoundLoader.load(path).play()), no sound file to ship."""
    import math
    import struct
    import wave

    frames = int(rate * seconds)
    fade = max(1, rate // 100)  # 10 ms ramps: no click
    samples = (int(12000 * min(1.0, i / fade, (frames - i) / fade) * math.sin(2 * math.pi * hz * i / rate))
               for i in range(frames))
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path
