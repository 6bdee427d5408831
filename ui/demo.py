"""Demo mode (config `demo = true`, the default): a central server embedded on loopback with the demo student on
its roster, this terminal freshly enrolled with it, and simulated time an hour into the category's window (the
collection calendar is data from past years). Only the composition root (ui/wiring.py) calls this, and only in
demo mode: a production terminal never starts a server."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from kiosk.config import TerminalConfig
from kiosk.paths import TerminalPaths
from kiosk.policy import Policy, get_policy
from kiosk.record import Record, example_record
from kiosk.terminal import Say


@dataclass
class Demo:
    server: object  # central.embedded.EmbeddedServer
    identity: object  # kiosk.sync.identity.TerminalIdentity
    start: dt.datetime  # simulated time at start-up
    student: Record  # the demo student's example record (its card is the simulated reader's)

    def stop(self) -> None:
        self.server.stop()


def demo_moment(policy: Policy, category: str) -> dt.datetime:
    """An hour after the category's first window opens."""
    return policy.localize(policy.category(category).windows[0].start) + dt.timedelta(hours=1)


def start_demo(config: TerminalConfig, paths: TerminalPaths, *, category: str = "grade9",
               at: dt.datetime | None = None, say: Say = print, central_settings: dict | None = None) -> Demo:
    """The embedded central server (its data under paths.demo_central), the school and the demo student on its
    roster, and an enrollment of this terminal with the config's role, school and county."""
    from central import terminals
    from central.embedded import EmbeddedServer
    from central.settings import Settings
    from kiosk.sync.identity import TERMINAL_FILE, TerminalIdentity, enroll

    policy = get_policy(config.policy, paths.pulled_policies)
    start = at or demo_moment(policy, category)
    student = example_record(start.date())
    card = student.card
    say(f"数据目录 {paths.data_dir}；模拟时间{start:%Y-%m-%d %H:%M}（{policy.name}）")
    server = EmbeddedServer(Settings(data_dir=paths.demo_central, **(central_settings or {})))
    try:
        server.central.write(lambda s: terminals.load_schools(
            s, [{"code": config.school_code, "name": config.school_name, "county_code": config.county_code}],
            [{"student_number": student.student_number, "id_number": card.id_number, "name": card.name,
              "school_code": config.school_code}]))
        if (paths.sync_dir / TERMINAL_FILE).exists():  # a demo data directory used again: same enrollment
            identity = replace(TerminalIdentity.load(paths.sync_dir), server=server.url)
        else:
            code = server.enroll_code(config.role, config.school_code, config.county_code)
            identity = enroll(server.url, code, paths.sync_dir, app_version="demo")
    except BaseException:
        server.stop()
        raise
    say(f"终端已注册：{identity.terminal_id}（{server.url}）")
    return Demo(server, identity, start, student)
