"""`kiosk screens --out DIR`: screenshots of every screen (the flow, its error states, the failure screens) at
the three panel sizes, for a person to look at, and a list of what the checks found (characters the font cannot
draw, touch targets under 60 px, text wider than its label). Runs headless (SDL offscreen) without a display."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kiosk.errors import KioskError

from . import add_json_flag, emit


def register(sub) -> None:
    screens = sub.add_parser("screens", help="为每个界面在三种屏幕尺寸下截图并检查（缺字、触控尺寸、文字溢出）")
    screens.add_argument("--out", required=True, help="directory for the PNGs (one folder per size)")
    screens.add_argument("--size", action="append", help="WIDTHxHEIGHT (repeatable; default 1280x800, 1920x1080, "
                                                         "1080x1920)")
    add_json_flag(screens)
    screens.set_defaults(handler=_screens)


def _sizes(values) -> list[tuple[int, int]]:
    from ui.theme import SIZES

    sizes = []
    for value in values or []:
        try:
            width, height = (int(v) for v in value.lower().split("x"))
        except ValueError:
            raise KioskError(f"屏幕尺寸格式不正确：{value}（示例：1280x800）", detail=f"bad size {value!r}") from None
        if not (320 <= width <= 7680 and 320 <= height <= 7680):
            raise KioskError(f"屏幕尺寸超出范围：{value}", detail=f"size out of range {value!r}")
        sizes.append((width, height))
    return sizes or list(SIZES)


def _screens(args) -> int:
    sizes = _sizes(args.size)
    out = Path(args.out)
    if len(sizes) > 1:  # SDL's offscreen window keeps the drawable it was made with: one process per size
        written, problems = [], []
        for width, height in sizes:
            child = subprocess.run([sys.executable, "-m", "ui.cli", "screens", "--out", str(out), "--size",
                                    f"{width}x{height}", "--json"], capture_output=True, text=True, timeout=600)
            try:
                result = json.loads(child.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                raise KioskError(f"截图失败：{width}x{height}", detail=child.stderr[-2000:]) from None
            written += result["screenshots"]
            problems += result["problems"]
        return _report(args, out, written, problems)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kiosk.config import TerminalConfig
    from ui import theme

    with tempfile.TemporaryDirectory(prefix="kiosk-screens-") as data:
        config = TerminalConfig(data_dir=data, screen_size=f"{sizes[0][0]}x{sizes[0][1]}")
        theme.configure(config)  # before the window exists (SDL offscreen cannot grow it later)
        from kivy.base import runTouchApp

        from ui import tour
        from ui.app import KioskApp

        app = KioskApp(config, workdir=data, realtime_camera=False, say=lambda _: None)
        app._run_prepare()  # build() and on_start(), as App.run() does, without its loop: the tour pumps frames
        runTouchApp(embedded=True)
        try:
            written, problems = tour.shoot(app, out, sizes)
        finally:
            app.stop()
            tour.pump(1)
    return _report(args, out, written, problems)


def _report(args, out: Path, written: list, problems: list[str]) -> int:
    emit(args, {"screenshots": [str(p) for p in written], "problems": problems},
         f"已写入{len(written)}张截图到 {out}" + ("" if not problems else "；发现问题：\n" + "\n".join(problems)))
    return 1 if problems else 0
