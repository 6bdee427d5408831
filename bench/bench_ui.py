"""The touch app as a production kiosk runs it (SDL offscreen, in a child process so its window and memory are its
own), against a real central server in another process on loopback (`kiosk-central serve`, the terminal enrolled
with it and the 20 students on its roster): nothing of the server is in the kiosk's figures.

- cold start: from the child's spawn (interpreter start included) to the attract screen drawn;
- RSS: at the attract screen once started (the baseline), after the first registration and after 20 in a row,
  each driven through the app as a student would: the photo captured by the feeder from the simulated camera, the
  document scanned, matched and used through the app, the form printed, signed off; growth per registration is
  the slope of a least-squares line through the RSS after each of the last 15; the peak: the highest RSS of the
  run (VmHWM), a student's photo, document and print steps;
- first photo frame: entering the photo step to the first camera frame shown (the first registration, and the
  median of the others), so deferring the face models never slows the first photo unseen;
- screen transition p95: a session step changed -> the new screen entered and one frame drawn;
- the baseline: a bare Kivy window with one label, started the same way in its own process (`--floor`): what
  any Kivy app costs on this machine's GL, the GL driver's code included.

BENCH_UI_PROFILE=1 prints where the memory is (smaps by mapping, tracemalloc's top Python allocations) at the
attract screen and after the last registration, the RSS after each step of the first two registrations and the
Python allocations the first left behind, to stderr. BENCH_UI_PROFILE=smaps does so without tracemalloc, whose own
tables inflate the RSS (its +110 MB at the first card read is tracemalloc's, not the app's): use it for the RSS of
each step. BENCH_UI_CPROFILE=FILE writes a cProfile of the start-up; BENCH_UI_REGISTRATIONS=N runs fewer
registrations (diagnosis only).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Row

REGISTRATIONS = int(os.environ.get("BENCH_UI_REGISTRATIONS", 20))  # fewer: diagnosis only (the goal is for 20)
FIT_LAST = 15
COLD_GOAL_S, RSS_GOAL_MB, GROWTH_GOAL_MB, TRANSITION_GOAL_MS = 3.0, 300.0, 0.5, 100.0
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# This bench run on the commit before the memory and start-up work (bee3836), measured under contention (load ~7)
BEFORE = {"cold_s": 1.99, "rss_start_mb": 292, "rss_mb": 881, "growth_mb": 3.20, "p95_ms": 362, "first_frame_s": 1.28}
# This bench on 7ab3d26, before the second memory pass (one set of MediaPipe graphs, no matplotlib, glibc's mmap
# threshold fixed, lean scripted camera, slim form fonts), on a quiet machine
PASS_BEFORE = {"rss_start_mb": 427, "rss_mb": 680}
# ... and on 11b878a, before the third (face graphs per student, label textures given back, fonts mapped)
THIRD_BEFORE = {"rss_start_mb": 368, "rss_mb": 519}


def _id_number(base: str, serial: int) -> str:
    """Another valid number of the same birth date and gender (the 17th digit's parity)."""
    serial = serial * 2 + int(base[16]) % 2
    body = base[:14] + f"{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def _cards(today=None):
    import dataclasses

    from kiosk.record import example_record

    example = example_record(today)
    return example, [dataclasses.replace(example.card, id_number=_id_number(example.id_number, 200 + i))
                     for i in range(REGISTRATIONS)]


def _rss_mb(field: str = "VmRSS") -> float:
    """The RSS now (VmHWM: the highest it has been)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def _slope(values: list[float]) -> float:
    """Least-squares slope of values against their index."""
    n = len(values)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, sum(values) / n
    return sum((i - mx) * (v - my) for i, v in enumerate(values)) / sum((i - mx) ** 2 for i in range(n))


def _split() -> str:
    """RSS of [heap] and of anonymous mappings now (smaps_rollup has no split)."""
    heap = anon = 0
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            name = parts[5] if len(parts) > 5 else "[anon]"
        elif parts and parts[0] == "Rss:":
            if name == "[heap]":
                heap += int(parts[1])
            elif name == "[anon]":
                anon += int(parts[1])
    return f"heap {heap / 1024:.0f} anon {anon / 1024:.0f}"


def _profile(when: str) -> None:
    """Where the memory is: RSS by mapping (smaps, top 15) and the top Python allocations (tracemalloc)."""
    groups: dict[str, int] = {}
    anon: list[tuple[int, int, str]] = []  # (rss kB, size kB, address range) of each anonymous mapping
    name = "[anon]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            name = parts[5] if len(parts) > 5 else "[anon]"
            start, end = (int(v, 16) for v in parts[0].split("-"))
            where = parts[0]
        elif parts and parts[0] == "Rss:":
            groups[name] = groups.get(name, 0) + int(parts[1])
            if name == "[anon]":
                anon.append((int(parts[1]), (end - start) // 1024, where))
    print(f"== {when}: RSS {_rss_mb():.0f} MB", file=sys.stderr)
    for path, kb in sorted(groups.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {kb / 1024:8.1f} MB  {path}", file=sys.stderr)
    big = sorted(anon, reverse=True)[:12]  # a glibc thread arena: 64 MB reserved (65536 kB, with its guard part)
    print("  largest anonymous mappings (RSS/size MB): " + ", ".join(f"{r / 1024:.1f}/{s / 1024:.1f}"
                                                                      for r, s, _ in big), file=sys.stderr)
    print(f"  anonymous mappings: {len(anon)}, under 1 MB RSS: {sum(r for r, _, _ in anon if r < 1024) / 1024:.0f} MB",
          file=sys.stderr)
    import gc
    import types

    root = str(Path(__file__).resolve().parents[1])
    frames = [f"{o.f_code.co_filename.removeprefix(root)}:{o.f_code.co_name}" for o in gc.get_objects()
              if type(o) is types.FrameType and o.f_code.co_filename.startswith(root)
              and "/.venv/" not in o.f_code.co_filename]
    print(f"  project frames alive (kept by a stored traceback, or running): {sorted(set(frames))}", file=sys.stderr)
    import tracemalloc

    if tracemalloc.is_tracing():
        for stat in tracemalloc.take_snapshot().statistics("filename")[:10]:
            print(f"  py {stat.size / 2**20:8.1f} MB  {stat.traceback[0].filename}", file=sys.stderr)


def child() -> dict:
    spawned = float(os.environ["BENCH_UI_SPAWNED"])  # time.monotonic() of the parent at spawn (system-wide clock)
    profile = bool(os.environ.get("BENCH_UI_PROFILE"))
    startup = None
    if os.environ.get("BENCH_UI_CPROFILE"):  # diagnosis: a cProfile of the start-up written to that file
        import cProfile

        startup = cProfile.Profile()
        startup.enable()
    if profile and os.environ["BENCH_UI_PROFILE"] != "smaps":  # tracemalloc's own tables cost RSS too
        import tracemalloc

        tracemalloc.start()
    from ui.commands.run import tune_malloc

    tune_malloc()  # as `kiosk run --ui` does
    for key, value in (("SDL_VIDEODRIVER", "offscreen"), ("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONSOLELOG", "1"),
                       ("KIVY_NO_FILELOG", "1"), ("KIVY_LOG_MODE", "PYTHON"), ("KIVY_CLIPBOARD", "sdl2")):
        os.environ.setdefault(key, value)
    from kivy.base import EventLoop, runTouchApp

    from kiosk.config import TerminalConfig
    from ui.app import KioskApp
    from ui.demo import demo_moment

    data = os.environ["BENCH_UI_DATA"]
    config = TerminalConfig(data_dir=data, demo=False, server_url=os.environ["BENCH_UI_URL"],
                            badge_reader="simulator")
    from kiosk.policy import get_policy

    app = KioskApp(config, at=demo_moment(get_policy(config.policy), "grade9"), workdir=data, realtime_camera=False,
                   say=lambda _: None)
    app._run_prepare()
    runTouchApp(embedded=True)
    EventLoop.idle()
    cold = time.monotonic() - spawned
    if startup is not None:
        startup.disable()
        startup.dump_stats(os.environ["BENCH_UI_CPROFILE"])
    assert app.sm.current == "attract"

    import gc

    from kiosk.photo import CONFIRMATIONS
    from kiosk.session import Step

    session = app.session
    import threading

    for _ in range(20):  # settle: what starts in the background after the first frame (the photo warm-up)
        EventLoop.idle()
        time.sleep(0.05)
    for thread in threading.enumerate():
        if thread.name == "photo-warm":
            thread.join(60)
    gc.collect()
    rss_start = _rss_mb()
    if profile:
        _profile("attract screen")
    import tracemalloc

    attract = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
    example, cards = _cards(app.kiosk.clock().date())
    transitions, rss, first_frames = [], [], []

    def wait(done, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {session.step} {session.errors}"
            EventLoop.idle()
            time.sleep(0.005)

    screens = None
    if profile:  # where the transitions' time goes
        import cProfile

        screens = cProfile.Profile()

    def mark(what: str) -> None:
        if profile and len(rss) < 2:
            print(f"  {what}: RSS {_rss_mb():.0f} MB ({_split()})", file=sys.stderr)

    def step(method, *args, **kwargs):
        """A session method (as the app's act calls it), then the app shows the new step: that is timed."""
        before = session.step
        getattr(session, method)(*args, **kwargs)
        mark(f"{method} (session)")
        t = time.perf_counter()
        if screens is not None:
            screens.enable()
        app.refresh()
        EventLoop.idle()
        if screens is not None:
            screens.disable()
        if session.step is not before:
            transitions.append((time.perf_counter() - t, session.step.value))
        mark(f"{method} -> {session.step.value}")

    photo_screen = app.sm.get_screen("photo")
    for card in cards:
        mark("before the card")
        app.devices.card_read(card)  # the simulated document camera shows the card just read
        step("card_read", card, app.category)
        assert session.step is Step.IDENTITY, session.refusal
        step("confirm_identity")
        step("set_category", school_name=example.school_name, claims=[])
        step("set_guardians", example.guardians)
        step("set_history", example.study_history)
        entered = time.perf_counter()
        step("set_contact", example.contact_phone, example.home_address)
        wait(lambda: photo_screen.preview.opacity == 1, "the first camera frame")
        first_frames.append(time.perf_counter() - entered)
        wait(lambda: app.work.feeder is not None and app.work.feeder.shots(), "the auto-capture")
        EventLoop.idle()
        mark("captured")
        step("photo_taken", app.work.feeder.choose(0), [c.code for c in CONFIRMATIONS])  # as photo_use does
        app.work.document_scan()
        wait(lambda: app.work._document is not None, "the document scan")
        mark("scanned")
        step("document_scanned", *app.work._document)  # as document_use does
        step("confirm_review")
        password = f"Kaoshi{card.id_number[-4:]}ok"
        before = session.step
        session.set_password(password, password)
        assert session.step is not before, session.errors
        app.refresh()  # PRINT: the app prints in the background
        wait(lambda: session.step is Step.DONE, "the print")
        mark("printed")
        session.operator_sign("1")
        t = time.perf_counter()
        app.reset()  # back to attract: every screen cleared
        EventLoop.idle()
        transitions.append((time.perf_counter() - t, "attract"))
        for _ in range(5):
            EventLoop.idle()  # the feeder's stop, the sync push and the malloc trim finish
            time.sleep(0.02)
        gc.collect()
        mark("back at the attract screen")
        if attract is not None and not rss:  # the Python allocations the first registration left behind
            for stat in tracemalloc.take_snapshot().compare_to(attract, "filename")[:12]:
                print(f"  py +{stat.size_diff / 2**20:6.1f} MB  {stat.traceback[0].filename}", file=sys.stderr)
        rss.append(_rss_mb())
    if profile:
        _profile(f"after {REGISTRATIONS} registrations")
    app.stop()
    transitions.sort()
    if profile:
        import pstats

        pstats.Stats(screens, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        print("slowest transitions:", [(round(t * 1000), name) for t, name in transitions[-15:]], file=sys.stderr)
    return {"cold_s": cold, "rss_start_mb": rss_start, "rss_first_mb": rss[0], "rss_mb": rss[-1],
            "peak_mb": _rss_mb("VmHWM"), "file_mb": _rss_mb("RssFile"),
            "growth_mb": _slope(rss[-FIT_LAST:]), "p95_ms": transitions[int(len(transitions) * 0.95)][0] * 1000,
            "transitions": len(transitions), "first_frame_s": first_frames[0],
            "later_frame_s": statistics.median(first_frames[1:] or first_frames), "rss": [round(v, 1) for v in rss]}


def floor() -> dict:
    """A bare Kivy window with one CJK label, as the kiosk's child starts it (SDL offscreen, glibc tuned): the RSS
    under any Kivy app on this machine's GL, and how much of it is the GL driver's code."""
    from ui.commands.run import tune_malloc

    tune_malloc()
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from kivy.base import EventLoop, runTouchApp
    from kivy.uix.label import Label

    from kiosk.fonts import CJK_FONT

    runTouchApp(Label(text="考生基本信息采集", font_name=CJK_FONT, font_size=40), embedded=True)
    for _ in range(5):
        EventLoop.idle()
    gl = 0
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:
            name = parts[5] if len(parts) > 5 else ""
        elif parts and parts[0] == "Rss:" and ("libLLVM" in name or "_dri.so" in name or "libgallium" in name):
            gl += int(parts[1])
    return {"floor_mb": _rss_mb(), "gl_code_mb": gl / 1024}


def _floor() -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_ui", "--floor"], capture_output=True, text=True,
                         timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{\"floor_mb\"")]
    if not lines:
        raise RuntimeError(f"bench_ui floor failed: {out.stderr[-3000:]}")
    return json.loads(lines[-1])


def _central(root: Path):
    """`kiosk-central serve` in its own process with the school and the 20 students, and the terminal enrolled."""
    from central import terminals
    from central.app import Central
    from central.settings import Settings
    from kiosk.sync.identity import enroll

    from .bench_central import CentralProcess

    example, cards = _cards()
    central = Central(Settings(data_dir=root / "central"))
    central.write(lambda s: terminals.load_schools(
        s, [{"code": example.school_code, "name": example.school_name, "county_code": "411403"}],
        [{"student_number": f"G{card.id_number}", "id_number": card.id_number, "name": card.name,
          "school_code": example.school_code} for card in cards]))
    central.engine.dispose()
    server = CentralProcess(root, terminals_=1)
    try:
        enroll(server.url, server.codes[0], root / "kiosk" / "sync", app_version="bench")
    except BaseException:
        server.stop()
        raise
    return server


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        root = Path(tmp)
        server = _central(root)
        try:
            env = {**os.environ, "BENCH_UI_DATA": str(root / "kiosk"), "BENCH_UI_URL": server.url,
                   "BENCH_UI_SPAWNED": repr(time.monotonic())}
            out = subprocess.run([sys.executable, "-m", "bench.bench_ui", "--child"], capture_output=True, text=True,
                                 timeout=900, env=env)
        finally:
            server.stop()
    if os.environ.get("BENCH_UI_PROFILE"):
        sys.stderr.write(out.stderr)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{\"cold_s\"")]
    if not lines:
        raise RuntimeError(f"bench_ui child failed: {out.stderr[-3000:]}")
    return {**json.loads(lines[-1]), **_floor()}


def run() -> list[Row]:
    r = measure()
    note = "measured under contention"

    def before(key: str, unit: str) -> str:
        return f"before the memory and start-up work: {BEFORE[key]:g} {unit}"

    return [
        Row("ui: cold start to the attract screen (s)", r["cold_s"], "s", COLD_GOAL_S, "goal <=",
            f"{note}; spawn to first frame, interpreter start included; {before('cold_s', 's')}"),
        Row("ui: RSS at the attract screen, started (MB)", r["rss_start_mb"], "MB", RSS_GOAL_MB, "goal <=",
            f"{note}; kiosk process only (central in its own process), MediaPipe imported and the camera built (the "
            f"face graphs are each student's); the baseline of the next rows; {before('rss_start_mb', 'MB')} (models "
            f"not loaded then); before the second memory pass: "
            f"{PASS_BEFORE['rss_start_mb']} MB, before the third: {THIRD_BEFORE['rss_start_mb']} MB"),
        Row(f"ui: RSS after {REGISTRATIONS} registrations (MB)", r["rss_mb"], "MB", RSS_GOAL_MB, "goal <=",
            f"{note}; kiosk process only; baseline {r['rss_start_mb']:.0f} MB at the attract screen, "
            f"{r['rss_first_mb']:.0f} MB after the first; {r['file_mb']:.0f} MB of it mapped files (code, fonts: "
            f"pages the kernel may reclaim); glibc tuned as `kiosk run --ui` does; "
            f"{before('rss_mb', 'MB')}; before the second memory pass: {PASS_BEFORE['rss_mb']} MB, before the "
            f"third: {THIRD_BEFORE['rss_mb']} MB"),
        Row(f"ui: RSS after {REGISTRATIONS} registrations against a bare Kivy window (MB)", r["rss_mb"], "MB",
            r["floor_mb"], "baseline",
            f"{note}; the baseline: one label in a Kivy window on this machine's GL, started the same way; "
            f"{r['gl_code_mb']:.0f} MB of it is the GL driver's code (libLLVM, the software renderer); the kiosk's own "
            f"share: {r['rss_mb'] - r['floor_mb']:.0f} MB"),
        Row("ui: peak RSS during the registrations (MB)", r["peak_mb"], "MB", RSS_GOAL_MB, "goal <=",
            f"{note}; the highest RSS of the run (VmHWM): a student's photo, document and print steps, what the "
            f"appliance's memory must hold; the goal is the steady one's"),
        Row(f"ui: RSS growth per registration, fit over the last {FIT_LAST} (MB)", r["growth_mb"], "MB",
            GROWTH_GOAL_MB, "goal <=", f"{note}; least-squares slope; {before('growth_mb', 'MB')}"),
        Row("ui: screen transition p95 (ms)", r["p95_ms"], "ms", TRANSITION_GOAL_MS, "goal <=",
            f"{note}; {r['transitions']} transitions, refresh + one frame; {before('p95_ms', 'ms')}"),
        Row("ui: first camera frame after entering the photo step (s)", r["first_frame_s"], "s",
            BEFORE["first_frame_s"], "baseline",
            f"{note}; the first registration (later ones: median {r['later_frame_s']:.2f} s); reference: the figure "
            f"before the work (models loaded by the first photo step then): deferring them must not slow it"),
    ]

if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child()))
    elif "--floor" in sys.argv:
        print(json.dumps(floor()))
    else:
        for row in run():
            print(row.name, round(row.value, 3), row.unit, f"ratio {row.ratio:.2f}", row.verdict, row.note)
