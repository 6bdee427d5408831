"""Spoken prompts in the running app (voice on for this test only): entering a step renders its prompt with the
real espeak-ng once, on the voice worker thread, into the on-disk cache; entering it again plays the cached WAV;
the operator's mute (terminal-state screen) silences the next step and is kept in the terminal's state."""
import shutil
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card  # noqa: E402

import ui.app  # noqa: E402,F401 - first: the window's size in Kivy's Config
from kiosk.files import read_json  # noqa: E402
from ui.voice import VoicePrompts  # noqa: E402

from .test_operator import login_by_pin  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) missing")


@pytest.fixture
def voiced(tmp_path, monkeypatch):
    from kiosk.config import TerminalConfig
    from ui import voice as voice_module
    from ui.app import KioskApp

    from tests.support.kivy import Driver

    threads = []  # which thread ran each espeak-ng (the real one: this only notes the caller)
    real_run = voice_module.subprocess.run

    def noted(*args, **kwargs):
        if args and args[0][0] == voice_module.ESPEAK:
            threads.append(threading.current_thread().name)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(voice_module.subprocess, "run", noted)
    app = KioskApp(TerminalConfig(), workdir=tmp_path, realtime_camera=False, say=lambda _: None, voice=True)
    driver = Driver(app)
    try:
        yield driver, threads
    finally:
        driver.close()


def settled(app) -> None:
    """Everything said so far is rendered (the voice worker is one thread, first come first served)."""
    app.voice._executor.submit(lambda: None).result(30)


def test_step_prompt_rendered_once_off_the_ui_thread_then_cached_and_muted(voiced):
    d, threads = voiced
    app = d.app
    assert app.voice is not None and not app.voice.muted
    lay_card(d)
    prompt = app.session.prompt
    wav = app.voice.path_for(prompt)
    d.until(wav.exists, 30, "the identity prompt's WAV")
    settled(app)
    assert wav.stat().st_size > 1000 and wav.read_bytes()[:4] == b"RIFF"
    assert app.voice.renders == 1 and threads and all(t.startswith("voice") for t in threads)
    assert threading.main_thread().name not in threads  # the UI thread never waits for the synthesiser
    rendered_at = wav.stat().st_mtime_ns

    d.tap(d.screen.exit_button)
    d.on("attract")
    lay_card(d)  # the identity step again: the same prompt from the cache
    settled(app)
    assert app.voice.renders == 1 and wav.stat().st_mtime_ns == rendered_at

    # the operator mutes it on the terminal-state screen: kept in the terminal's state, the next step says nothing
    d.tap(d.screen.exit_button)
    d.on("attract")
    login_by_pin(d)
    d.tap(d.screen.status_button)
    d.on("operator_status")
    assert d.screen.voice_button.text == "关闭语音提示"
    d.tap(d.screen.voice_button)
    assert app.voice.muted and d.screen.voice_button.text == "开启语音提示"
    assert read_json(app.kiosk.paths.voice_state)["muted"] is True
    d.tap(d.screen.back_button)
    d.on("operator")
    d.tap(d.screen.logout_button)
    d.on("attract")
    lay_card(d)
    d.tap(d.screen.next_button)
    d.on("category")
    settled(app)
    assert app.voice.renders == 1 and not app.voice.path_for(app.session.prompt).exists()
    again = VoicePrompts(app.voice.cache_dir, state_file=app.kiosk.paths.voice_state)
    assert again.muted  # after a restart too
    again.close()


def test_voice_is_off_unless_asked():
    from kiosk.config import TerminalConfig
    from ui.app import KioskApp

    assert KioskApp(TerminalConfig()).voice_wanted is False
