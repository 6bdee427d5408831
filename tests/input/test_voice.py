"""Voice prompts: espeak-ng Mandarin rendered on the voice thread (the caller never waits), cached per text,
played through Kivy's SoundLoader (SDL dummy audio), silenced by the operator's mute."""
import threading
import wave

import pytest

from ui.voice import MAX_CHARS, VoicePrompts

PROMPT = "请将身份证放在感应区"


@pytest.fixture
def prompts(tmp_path):
    p = VoicePrompts(tmp_path / "voice")
    yield p
    p.close()


def test_prompt_rendered_off_the_caller_thread(prompts, ui):
    assert prompts.available
    gate = threading.Event()
    busy = prompts._executor.submit(gate.wait, 30)  # the voice thread is busy with something else
    future = prompts.say(PROMPT)
    assert not future.done()  # say() came back without the WAV: nothing waited for espeak-ng
    gate.set()
    path = future.result(timeout=30)
    assert busy.result() is True
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == 22050 and wav.getnframes() / wav.getframerate() > 1.5  # ~3-4 s of speech
    ui.frames(2)  # the play call is scheduled on the UI thread
    assert prompts.sound is not None and prompts.sound.state == "play"
    prompts.muted = True  # the operator mutes: the prompt stops, later ones are not even rendered
    assert prompts.sound is None
    assert prompts.say("请看摄像头").result() is None


def test_cached_per_text(prompts):
    first = prompts.render(PROMPT)
    stamp = first.stat().st_mtime_ns
    assert prompts.render(" ".join(PROMPT)) != first  # another text, another file
    assert prompts.render(PROMPT) == first and first.stat().st_mtime_ns == stamp
    assert prompts.cache_dir.stat().st_mode & 0o077 == 0


def test_reading_for_polyphones(prompts):
    """应 in 感应区 is read ying1 from Hanzi; the toned reading says ying4."""
    path = prompts.say(PROMPT, reading="qing3 jiang1 shen1 fen4 zheng4 fang4 zai4 gan3 ying4 qu1").result(30)
    assert path == prompts.path_for("qing3 jiang1 shen1 fen4 zheng4 fang4 zai4 gan3 ying4 qu1") != prompts.path_for(
        PROMPT)
    with wave.open(str(path)) as wav:
        assert wav.getnframes() / wav.getframerate() > 1.5


def test_bad_prompts_refused(prompts):
    with pytest.raises(ValueError):
        prompts.render("")
    with pytest.raises(ValueError):
        prompts.render("请" * (MAX_CHARS + 1))
    assert prompts.say("请" * (MAX_CHARS + 1)).exception(timeout=10) is not None  # logged, nothing played
