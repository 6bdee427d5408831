"""PinyinEngine on the real librime (Debian librime1 + rime-data-luna-pinyin): candidates, choosing, paging,
custom phrases, and no learning between students."""
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.errors import KioskError
from drivers.input.rime import PinyinEngine, RimeLibrary, RimeLoadError, self_test
from drivers.input.rime.runtime import runtime
from kiosk.input import PinyinUnavailable, normalize_code, phrases_text

REPO = Path(__file__).resolve().parents[2]


def test_library_layout_matches_librime():
    lib = RimeLibrary()
    assert lib.version() == "1.8.5"
    assert lib.api_function("select_candidate_on_current_page") is not None


def test_zhang_gives_zhang_in_top_five(engine):
    engine.type("zhang")
    state = engine.state
    assert state.raw_input == "zhang" and state.composing
    assert "张" in state.candidates[:5]
    assert len(state.candidates) == 9  # page_size 9 from default.custom.yaml
    assert all(not any("\u4e00" <= ch <= "\u9fff" and ch in "張漲長" for ch in c) for c in state.candidates)


def test_simplified_not_traditional(engine):
    engine.type("guojia")
    assert "国家" in engine.candidates[:3] and "國家" not in engine.candidates


def test_shangqiu(engine):
    engine.type("shangqiu")
    assert engine.candidates[0] == "商丘"
    assert engine.select(0) == "商丘"
    assert not engine.composing


def test_wangjianguo_by_choosing_wang_then_jianguo(engine):
    engine.type("wangjianguo")
    if engine.find("王建国", pages=3) is not None:  # some data versions offer it whole
        assert engine.choose("王建国") == "王建国"
        return
    assert engine.choose("王") == ""  # part of the input converted, the rest still composing
    assert engine.preedit.startswith("王") and "jian" in engine.preedit.replace(" ", "")
    assert "建国" in engine.candidates[:5]
    assert engine.choose("建国") == "王建国"
    assert not engine.composing


def test_custom_phrases_come_first(engine_factory):
    engine = engine_factory(phrases=[
        ("商丘市第一初级中学", "shāng qiū shì yī zhōng"),
        ("王建国", "wang jian guo"),
        ("睢阳区", "Sui1 Yang2 Qu1"),
    ])
    try:
        engine.type("shangqiushiyizhong")
        assert engine.candidates[0] == "商丘市第一初级中学"
        assert engine.select(0) == "商丘市第一初级中学"
        engine.type("wangjianguo")
        assert engine.candidates[0] == "王建国"
        engine.clear()
        engine.type("suiyangqu")
        assert engine.candidates[0] == "睢阳区"
        engine.clear()
        engine.type("zhang")  # whole-input matches only: ordinary syllables are unaffected
        assert engine.candidates[0] == "张"
    finally:
        engine.set_phrases([])
    engine.type("shangqiushiyizhong")
    assert "商丘市第一初级中学" not in engine.candidates


def test_page_down_and_up(engine):
    engine.type("wang")
    first = engine.state
    assert first.page_no == 0 and not first.is_last_page
    assert engine.page_up() is False
    assert engine.page_down() is True
    second = engine.state
    assert second.page_no == 1 and set(second.candidates).isdisjoint(first.candidates)
    assert engine.select(0) == second.candidates[0]  # index is on the current page
    engine.type("wang")
    engine.page_down()
    assert engine.page_up() is True and engine.state.candidates == first.candidates


def test_backspace_commit_raw_clear(engine):
    assert engine.backspace() is False  # nothing composing: the field's own backspace applies
    engine.type("zhangs")
    assert engine.backspace() is True
    assert engine.state.raw_input == "zhang"
    assert engine.commit_raw() == "zhang"
    assert not engine.composing
    engine.type("shangqiu")
    assert engine.commit() == "商丘"
    engine.type("zhang")
    engine.clear()
    assert engine.state.candidates == () and not engine.composing


def test_space_picks_first_and_non_letters_pass_through(engine):
    assert engine.type("zhang ") == "张"
    assert engine.type("2024") == "2024"
    assert engine.type(",") == "，"


def test_select_out_of_range(engine):
    engine.type("zhang")
    with pytest.raises(IndexError):
        engine.select(9)


def rank_of(engine, text, raw):
    engine.clear()
    engine.type(raw)
    rank = engine.find(text, pages=20)
    engine.clear()
    return rank


def test_nothing_is_learned_between_students(engine):
    before = rank_of(engine, "王建国", "wangjianguo")
    before_jian = rank_of(engine, "剑", "jian")
    for _ in range(12):  # one student typing the same name again and again
        engine.type("wangjianguo")
        engine.choose("王")
        assert engine.choose("建国") == "王建国"
        engine.type("jian")
        assert engine.choose("剑") == "剑"
    engine.reset()  # the next student
    after = rank_of(engine, "王建国", "wangjianguo")
    assert (after is None and before is None) or (before is not None and after is not None and after >= before)
    assert rank_of(engine, "剑", "jian") == before_jian
    user_dir = engine._rt.user_dir
    assert not list(user_dir.glob("*.userdb*")), "Rime created a user dictionary"


def test_learning_detector_works_when_learning_is_on(tmp_path):
    """The test above would catch learning: with enable_user_dict true, 王建国 jumps to the top."""
    script = textwrap.dedent(f"""
        import json
        from drivers.input.rime import PinyinEngine
        from drivers.input.rime import runtime as rt
        rt._SCHEMA_CUSTOM = rt._SCHEMA_CUSTOM.replace("enable_user_dict: false", "enable_user_dict: true")
        e = PinyinEngine(user_data_dir={str(tmp_path / 'rime')!r})
        for _ in range(3):
            e.type("wangjianguo"); e.choose("王"); e.choose("建国")
        e.reset(); e.type("wangjianguo")
        print(json.dumps(e.find("王建国", pages=20)))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == 0


def test_reset_drops_composition(engine):
    engine.type("zhang")
    engine.reset()
    assert not engine.composing
    engine.type("shangqiu")
    assert engine.candidates[0] == "商丘"


def test_missing_data_raises_kiosk_error(engine, tmp_path):
    with pytest.raises(PinyinUnavailable) as info:
        PinyinEngine(shared_data_dir=tmp_path)
    assert isinstance(info.value, KioskError)
    assert "拼音" in info.value.message and "字母和数字" in info.value.message
    assert "luna_pinyin_simp" in info.value.detail
    engine.type("zhang")  # the running runtime is untouched
    assert "张" in engine.candidates


def test_missing_library_raises(tmp_path):
    with pytest.raises(RimeLoadError):
        RimeLibrary(str(tmp_path / "librime.so.1"))
    script = textwrap.dedent(f"""
        from drivers.input.rime import PinyinEngine
        from kiosk.input import PinyinUnavailable
        try:
            PinyinEngine(library={str(tmp_path / 'librime.so.1')!r})
        except PinyinUnavailable as exc:
            print("unavailable", exc.detail)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("unavailable") and "librime1" in out.stdout


def test_self_test():
    report = self_test()
    assert report["version"] == "1.8.5" and report["schema"] == "luna_pinyin_simp"


def test_user_dir_is_private():
    rt = runtime()
    assert rt.user_dir.stat().st_mode & 0o077 == 0
    assert (rt.user_dir / "custom_phrase.txt").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("pinyin, code", [
    ("shāng qiū", "shangqiu"),
    ("Shang1 Qiu1", "shangqiu"),
    ("xi'an", "xian"),
    ("lǜ", "lv"),
    ("lü", "lv"),
    ("nu:", "nv"),
    ("ZHANG san", "zhangsan"),
    ("12", ""),
])
def test_normalize_code(pinyin, code):
    assert normalize_code(pinyin) == code


def test_phrases_text_is_clean():
    text = phrases_text([("王\t建国", "wang jian guo"), ("王 建国", "wangjianguo"), ("", "x"), ("商丘", "")])
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert rows == [["王 建国", "wangjianguo", "101"]]
    rows = [line.split("\t") for line in phrases_text([("甲", "jia"), ("乙", "yi")]).splitlines() if "\t" in line]
    assert int(rows[0][2]) > int(rows[1][2])


def test_persistent_user_dir_and_restart(tmp_path):
    """A kiosk data dir deployed once is reused by the next process; a second directory restarts Rime and
    existing engines carry on with new sessions; phrases from an earlier run are not kept."""
    script = textwrap.dedent(f"""
        import json, sys
        from drivers.input.rime import PinyinEngine
        from drivers.input.rime.runtime import runtime
        first = {str(tmp_path / 'a')!r}
        e = PinyinEngine([("商丘市第一初级中学", "shangqiushiyizhong")] if sys.argv[1] == "1" else None,
                         user_data_dir=first)
        e.type("shangqiushiyizhong")
        out = {{"deploy": runtime().deploy_seconds, "first": e.candidates[0]}}
        e.clear()
        runtime({str(tmp_path / 'b')!r})
        e.type("zhang")
        out["after_restart"] = e.candidates[0]
        print(json.dumps(out, ensure_ascii=False))
    """)
    results = []
    for run in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, run], cwd=REPO, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert results[0]["first"] == "商丘市第一初级中学"
    assert results[1]["first"] != "商丘市第一初级中学"
    assert results[0]["after_restart"] == results[1]["after_restart"] == "张"
    assert (tmp_path / "a" / "build" / "luna_pinyin_simp.schema.yaml").exists()
    print("deploy seconds, fresh and reused:", results[0]["deploy"], results[1]["deploy"])


def test_core_binds_no_native_library(engine):
    """kiosk/ is the UI-free core: no ctypes anywhere in it; the Rime adapter implements the core's Protocol."""
    from kiosk.input import InputEngine

    binds = re.compile(r"^\s*(import ctypes|from ctypes)", re.M)
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "kiosk").rglob("*.py") if binds.search(p.read_text())]
    assert offenders == []
    assert isinstance(engine, InputEngine)


def test_a_killed_kiosks_rime_directory_is_removed_at_the_next_start():
    """A kiosk killed with SIGKILL (the watchdog) runs no exit handler: its private Rime directory, in /dev/shm (RAM,
    with the roster's phrases), stayed until the next boot. The next start removes it, never a live kiosk's."""
    import os
    import signal

    from drivers.input.rime.runtime import remove_orphans

    child = subprocess.Popen([sys.executable, "-c", "from drivers.input.rime.runtime import runtime\n"
                              "print(runtime().user_dir, flush=True)\nimport time\ntime.sleep(60)"],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        left = Path(child.stdout.readline().strip())
        assert (left / "custom_phrase.txt").is_file()
        assert left not in remove_orphans(left.parent)  # its kiosk is alive
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert left.is_dir()  # killed: nothing removed it
    assert left in remove_orphans(left.parent) and not left.exists()
    assert not any(p.name.startswith(f"kiosk-rime-{os.getpid()}-") for p in remove_orphans(left.parent))
