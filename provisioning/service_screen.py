"""`kiosk-provision service-screen`: what tty1 shows when kiosk.service gave up restarting (its start limit).

A full-screen notice instead of a flickering restart loop: students are sent to the staff, the technician sees
the terminal id, the last self-test's problems and what to run. It also answers `kiosk-provision identify`.
"""
from __future__ import annotations

import os
import time


def _lines(config) -> tuple[str, str]:
    from kiosk.paths import TerminalPaths
    from kiosk.files import read_json

    paths = TerminalPaths.at(config.data_dir)
    latest = read_json(paths.selftest / "latest.json", {}) or {}
    problems = [c["message"] for c in latest.get("checks", []) if c.get("status") == "error"][:4]
    detail = [f"终端编号 {config.terminal_id}", "技术人员：查看 journalctl -u kiosk，排除故障后执行 systemctl restart kiosk"]
    detail += [f"最近自检问题：{p}" for p in problems]
    return "本终端暂停服务\n请到其他终端或联系现场工作人员", "\n".join(detail)


def run(config, seconds: float | None = None, screenshot: str | None = None) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    from kiosk import identify
    from kiosk.fonts import CJK_FONT
    from kiosk.paths import TerminalPaths

    title, detail = _lines(config)
    flag = TerminalPaths.at(config.data_dir).identify_request
    started = time.monotonic()

    class ServiceScreen(App):
        def build(self):
            Window.clearcolor = (0.55, 0.1, 0.1, 1)
            box = BoxLayout(orientation="vertical", padding=60, spacing=30)
            for text, size in ((title, "40sp"), (detail, "20sp")):
                label = Label(text=text, font_name=CJK_FONT, font_size=size, halign="center", valign="middle")
                label.bind(size=lambda widget, value: setattr(widget, "text_size", value))  # wrap long lines
                box.add_widget(label)
            Clock.schedule_interval(self.tick, 0.5)
            return box

        def tick(self, _dt):
            flashing = identify.pending(flag) is not None and int(time.monotonic() * 2) % 2 == 0
            Window.clearcolor = (1, 1, 1, 1) if flashing else (0.55, 0.1, 0.1, 1)
            if seconds is not None and time.monotonic() - started >= seconds:
                if screenshot:
                    Window.screenshot(name=screenshot)
                self.stop()

    ServiceScreen().run()


def _run(args) -> int:
    from kiosk.config import TerminalConfig

    run(TerminalConfig.load(args.config), args.seconds, args.screenshot)
    return 0


def register(sub) -> None:
    p = sub.add_parser("service-screen", help="显示“暂停服务”画面（终端程序多次启动失败时由 systemd 启动）")
    p.add_argument("--config")
    p.add_argument("--seconds", type=float, help="显示多少秒后退出（测试用；默认一直显示）")
    p.add_argument("--screenshot", help="退出前截图到此文件（测试用）")
    p.set_defaults(handler=_run)
