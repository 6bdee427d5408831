"""`kiosk run`: the kiosk on simulated devices with an embedded central server. `--ui` opens the touch app
(ui/app.py); without it the scripted robot walks a registration through end to end (ui/robot.py), which needs no
screen (CI)."""
import datetime as dt
import os
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError

from . import add_json_flag, emit


def register(sub) -> None:
    run = sub.add_parser("run", help="运行采集终端：--ui 打开触摸界面；不加则由机器人演示完整采集流程（模拟设备、内置中心服务器）")
    run.add_argument("--ui", action="store_true", help="open the touch app (needs a display; SDL_VIDEODRIVER=offscreen "
                                                       "or xvfb-run for none)")
    run.add_argument("--fullscreen", action="store_true", help="with --ui: fill the screen (the appliance)")
    run.add_argument("--config", help="terminal config (TOML); default: a simulated school terminal")
    run.add_argument("--category", default="grade9", help="报考类别 (grade9, return_hukou, grade8, social)")
    run.add_argument("--at", help="simulated time, ISO (default: an hour into the category's window)")
    run.add_argument("--data", "--workdir", dest="data", help="data directory of the run (default: the config's "
                     "data_dir; in demo mode a fresh temporary directory)")
    add_json_flag(run)
    run.set_defaults(handler=_run)


def terminal_for(config: TerminalConfig, category: str) -> TerminalConfig:
    """The demo's terminal for a category: categories registered only at designated points get a point terminal."""
    if category in ("return_hukou", "social") and config.role == "school" and not config.server_url:
        return config.model_copy(update={"role": "point", "school_code": config.county_code + "P01"})
    return config


def _run(args) -> int:
    config = terminal_for(TerminalConfig.load(args.config), args.category)
    try:
        at = dt.datetime.fromisoformat(args.at) if args.at else None
    except ValueError:
        raise KioskError(f"时间格式不正确：{args.at}（示例：2024-03-04T10:00）") from None
    from kiosk.policy import get_policy

    policy = get_policy(config.policy, config.paths.pulled_policies)
    if policy.category(args.category) is None:
        raise KioskError(f"没有报考类别“{args.category}”（可选：{'、'.join(c.code for c in policy.categories)}）",
                         detail=f"unknown category {args.category!r}")
    if at is not None and at.tzinfo is None:
        at = policy.localize(at)
    workdir = Path(args.data) if args.data else None
    if args.ui:
        return _run_ui(config, args.category, at, workdir, args.fullscreen)
    if not config.demo:
        raise KioskError("机器人演示只能在演示模式下运行（demo = true）；终端请使用 --ui", detail="robot in production")
    from ui.robot import run_robot

    quiet = getattr(args, "json", False)
    result = run_robot(config, category=args.category, at=at, workdir=workdir,
                       say=(lambda _: None) if quiet else print)
    data = {k: str(v) if isinstance(v, Path) else v for k, v in result.__dict__.items()}
    emit(args, data, f"完成：记录 {result.record_id} 状态 {result.state}，登记表 {result.pdf}，"
                     f"服务器记录{result.server_copies}份")
    return 0


MALLOC_ARENAS = 2
MMAP_THRESHOLD = 4 << 20  # bytes: a camera frame (1280 x 960 x 3, 3.7 MB) stays below, on the heap, reused


def tune_malloc(arenas: int = MALLOC_ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Sets glibc's malloc for a long-running kiosk, before its threads start; False where it is not glibc.

    - M_ARENA_MAX: the camera's worker thread of every photo step otherwise leaves its own arena behind, ~4 MB of
      RSS per registration that never comes back (bench_ui).
    - M_MMAP_THRESHOLD fixed at 4 MB: glibc raises its threshold to the size of every large block freed (up to
      32 MB), after which the photo step's multi-MB temporaries (float frames, full-size copies, the PDF) are cut
      from the heap, which fragments and stays resident; mapped, each is given back when freed. Fixing it also fixes
      the trim threshold at its default (128 kB). The photo stack alone: 215-220 MB after four captures instead of
      220-272 (bench_ui's steps, MALLOC_MMAP_THRESHOLD_ in the environment does the same).
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False  # not glibc: nothing to tune
    done = mallopt(-8, arenas), mallopt(-3, mmap_threshold)  # M_ARENA_MAX, M_MMAP_THRESHOLD: 1 when set
    return all(ok == 1 for ok in done)


def release_memory() -> None:
    """Hands the heap pages freed by the last registration back to the system (glibc's malloc_trim), on a
    background thread: the photo, document and print buffers of a registration otherwise stay resident as free
    heap, some 40-60 MB of RSS per student at first (bench_ui)."""
    import ctypes
    import threading

    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return  # not glibc
    threading.Thread(target=trim, args=(0,), name="malloc-trim", daemon=True).start()


def _run_ui(config: TerminalConfig, category: str, at, workdir, fullscreen: bool) -> int:
    tune_malloc()
    # Kivy reads these when it is first imported.
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # the kiosk command parses its own arguments
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through our (masking) logging set-up
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xsel/xclip (absent on a kiosk)
    import logging

    level = max(logging.getLogger().getEffectiveLevel(), logging.WARNING)  # Kivy's INFO chatter only when asked
    os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", logging.getLevelName(level).lower())
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")):
        raise KioskError("没有可用的显示器：请在图形桌面中运行，或用 xvfb-run；无界面演示请去掉 --ui",
                         detail="no DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER")
    kivy_log = logging.getLogger("kivy")
    # X11 cut-buffer helpers (xclip/xsel) are absent on a kiosk by design: Kivy's "critical" about them is noise
    kivy_log.addFilter(lambda record: not record.getMessage().startswith("Cutbuffer: Unable to find"))
    from ui import theme

    if fullscreen:
        config = config.model_copy(update={"fullscreen": True})
    theme.configure(config)  # the window's size (or borderless fullscreen) before ui.app makes the window
    from ui.app import KioskApp

    kivy_log.setLevel(level)
    KioskApp(config, category=category, at=at, workdir=workdir, fullscreen=fullscreen, voice=True).run()
    return 0
