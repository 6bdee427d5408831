"""Spoken prompts: each step's prompt read aloud through espeak-ng's Mandarin voice (Debian espeak-ng), rendered
off the UI thread, cached as WAV per text, played with Kivy's SoundLoader, muted by the operator.

Debian's espeak-ng 1.51 `cmn` voice reads Hanzi as English-pronounced pinyin; `cmn-latn-pinyin` reads them as
Mandarin, character by character, with polyphone slips (应 in 感应区 read ying1). A prompt can therefore be given
with its reading in toned pinyin ("gan3 ying4 qu1"), which the same voice reads exactly. Fixed prompts are best
rendered once (render() at build or start) and then only played.

Prompts are the kiosk's own fixed texts: never a student's name or number (the cache is on disk).

The app (ui/app.py) speaks each step's prompt when the step is entered and each failure's title when it is shown;
the operator mutes or unmutes it on the terminal-state screen, and the choice is kept in the terminal's state
(<data_dir>/voice.json, as the pause is). The app makes no voice unless it is built with voice=True
(`kiosk run --ui` does; tests turn it on only where they test it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from kiosk.clock import utcnow
from kiosk.files import read_json, write_json

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
VOICE = "cmn-latn-pinyin"
SPEED = 140  # words a minute: slower than espeak's 175, for older guardians
MAX_CHARS = 200  # a prompt is a sentence or two; longer input is refused, not rendered


class VoicePrompts:
    """say(text) returns at once with a Future of the WAV path; the sound plays when it is ready (if not muted)."""

    def __init__(self, cache_dir: str | os.PathLike | None = None, *, voice: str = VOICE, speed: int = SPEED,
                 muted: bool = False, play: bool = True, state_file: str | os.PathLike | None = None):
        self.cache_dir = Path(cache_dir) if cache_dir else Path(tempfile.mkdtemp(prefix="kiosk-voice-"))
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.voice, self.speed, self.play = voice, speed, play
        self.state_file = Path(state_file) if state_file else None  # the operator's mute, kept across restarts
        state = read_json(self.state_file, {}) if self.state_file else {}
        self._muted = bool(state.get("muted", muted)) if isinstance(state, dict) else muted
        self.renders = 0  # espeak-ng runs (a prompt already cached is not rendered again)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice")
        self._lock = threading.Lock()
        self.sound = None  # the Kivy Sound playing or last played
        self.available = shutil.which(ESPEAK) is not None
        if not self.available:
            log.warning("espeak-ng missing (install espeak-ng): prompts stay silent")

    # -- operator ---------------------------------------------------------------------------------------------
    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._muted = bool(value)
        if self._muted:
            self.stop()

    def set_muted(self, muted: bool, by: str = "") -> None:
        """The operator's choice, kept in the terminal's state."""
        self.muted = muted
        if self.state_file is not None:
            write_json(self.state_file, {"muted": self.muted, "by": by,
                                         "at": utcnow().isoformat()})

    def stop(self) -> None:
        sound, self.sound = self.sound, None
        if sound is not None:
            sound.stop()

    # -- prompts ----------------------------------------------------------------------------------------------
    def path_for(self, text: str) -> Path:
        key = hashlib.sha256(f"{self.voice}|{self.speed}|{text}".encode()).hexdigest()[:32]
        return self.cache_dir / f"{key}.wav"

    def render(self, text: str) -> Path:
        """The WAV for `text` (Hanzi, or its reading in toned pinyin: "gan3 ying4 qu1"), synthesised unless
        cached (blocking: call it off the UI thread)."""
        text = " ".join(str(text).split())
        if not text or len(text) > MAX_CHARS:
            raise ValueError(f"prompt of {len(text)} characters (1..{MAX_CHARS})")
        path = self.path_for(text)
        with self._lock:
            if path.exists():
                return path
            tmp = path.with_suffix(".tmp")
            subprocess.run([ESPEAK, "-v", self.voice, "-s", str(self.speed), "-w", str(tmp), "--", text],
                           check=True, capture_output=True, timeout=20)
            os.replace(tmp, path)
            self.renders += 1
        return path

    def say(self, text: str, reading: str | None = None) -> Future:
        """Speak `text` (or `reading`, its toned pinyin where the voice would misread a polyphone): rendered on the
        voice thread, played on the UI thread. Returns the Future of the WAV path (None when muted or without
        espeak-ng); never blocks."""
        if self._muted or not self.available:
            done: Future = Future()
            done.set_result(None)
            return done
        future = self._executor.submit(self.render, reading or text)
        future.add_done_callback(self._ready)
        return future

    def _ready(self, future: Future) -> None:
        if future.exception() is not None:
            log.warning("prompt not rendered: %s", future.exception())
            return
        if self.play and not self._muted:
            from kivy.clock import Clock

            path = future.result()
            Clock.schedule_once(lambda _dt: self._play(path), 0)

    def _play(self, path: Path) -> None:
        if self._muted:
            return
        from kivy.core.audio import SoundLoader

        self.stop()  # a new step's prompt cuts the last one short
        sound = SoundLoader.load(str(path))
        if sound is None:
            log.warning("no audio provider could load %s", path.name)
            return
        self.sound = sound
        sound.play()

    def close(self) -> None:
        self.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
