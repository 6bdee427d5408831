"""`kiosk-provision install`: the terminal as an appliance: systemd units, udev rule, journald limits.

The templates in provisioning/units/ are filled (string.Template) and written under --root (default /): units to
etc/systemd/system, the journald drop-in to etc/systemd/journald.conf.d, the udev rule to etc/udev/rules.d. On
the real root it then reloads systemd and udev, enables the kiosk at boot (graphical.target) and the daily
self-test. The kiosk session is cage on tty1 (Debian package cage), started by kiosk.service itself.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from string import Template

from kiosk.errors import KioskError

UNITS = Path(__file__).with_name("units")
SYSTEMD_UNITS = ("kiosk.service", "kiosk-service-screen.service", "kiosk-selftest.service", "kiosk-selftest.timer")
# USB-UART bridges that ID card readers are built on, and the reader's own USB bulk id (idcard-protocol.md).
UART_BRIDGES = (("10c4", "ea60", "CP210x"), ("067b", "2303", "PL2303"), ("1a86", "7523", "CH340"))
BULK_READER = ("0400", "c35a")
LINK = "kiosk-idcard"


@dataclass(frozen=True)
class Layout:
    root: Path = Path("/")
    prefix: str = "/opt/kiosk"  # releases/, current -> releases/<version>, previous
    config: str = "/etc/kiosk/kiosk.toml"
    data_dir: str = "/var/lib/kiosk"
    user: str = "kiosk"
    cage: str = "/usr/bin/cage"
    systemctl: str = "/usr/bin/systemctl"
    watchdog: int = 30  # WatchdogSec: the UI loop pings every 15 s
    burst: int = 5  # the loop guard: this many starts ...
    interval: int = 600  # ... in this many seconds, then the service screen

    def under(self, path: str) -> Path:
        return self.root / path.lstrip("/")


def udev_rules(reader_usb: str | None) -> str:
    """One rule for the given VID:PID[:SERIAL], else the common USB-UART bridges (any adapter of that type on the
    terminal gets the name: pin the reader with --reader-usb when there is more than one)."""
    line = ('SUBSYSTEM=="tty", ATTRS{{idVendor}}=="{v}", ATTRS{{idProduct}}=="{p}"{s}, SYMLINK+="' + LINK +
            '", GROUP="dialout", MODE="0660"')
    if reader_usb:
        parts = reader_usb.lower().split(":")
        if len(parts) not in (2, 3) or not all(len(x) == 4 and all(c in "0123456789abcdef" for c in x)
                                                 for x in parts[:2]):
            raise KioskError("读卡器USB编号格式应为 VID:PID 或 VID:PID:序列号（如 10c4:ea60）",
                             detail=f"bad --reader-usb {reader_usb!r}")
        serial = f', ATTRS{{serial}}=="{parts[2]}"' if len(parts) == 3 and parts[2] else ""
        rules = [line.format(v=parts[0], p=parts[1], s=serial)]
    else:
        rules = [f"# {name}\n" + line.format(v=v, p=p, s="") for v, p, name in UART_BRIDGES]
    rules.append(f'# USB bulk readers (no tty)\nSUBSYSTEM=="usb", ATTRS{{idVendor}}=="{BULK_READER[0]}", '
                 f'ATTRS{{idProduct}}=="{BULK_READER[1]}", GROUP="dialout", MODE="0660"')
    return "\n".join(rules)


def render(name: str, layout: Layout, **extra) -> str:
    values = {k: str(v) for k, v in vars(layout).items()} | extra
    return Template((UNITS / name).read_text(encoding="utf-8")).substitute(values)


def install(layout: Layout, reader_usb: str | None = None) -> list[Path]:
    """Writes every file; returns their paths."""
    targets = {f"etc/systemd/system/{unit}": render(unit, layout) for unit in SYSTEMD_UNITS}
    targets["etc/systemd/journald.conf.d/50-kiosk.conf"] = render("journald-kiosk.conf", layout)
    targets["etc/udev/rules.d/99-kiosk-idcard.rules"] = render("99-kiosk-idcard.rules", layout,
                                                               rules=udev_rules(reader_usb))
    written = []
    for relative, text in targets.items():
        path = layout.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        written.append(path)
    return written


def activate(layout: Layout) -> list[str]:
    """On the real root: the kiosk's system user, reload systemd and udev, enable the units. Returns the commands."""
    import grp
    import pwd

    commands = []
    try:
        pwd.getpwnam(layout.user)
    except KeyError:
        groups = [g for g in ("dialout", "lp", "video", "input", "render") if _group_exists(grp, g)]
        commands.append(["useradd", "--system", "--home-dir", layout.data_dir, "--shell", "/usr/sbin/nologin",
                         "--groups", ",".join(groups), layout.user])
    commands += [[layout.systemctl, "daemon-reload"],
                [layout.systemctl, "enable", "kiosk.service", "kiosk-selftest.timer"],
                [layout.systemctl, "set-default", "graphical.target"],
                [layout.systemctl, "restart", "systemd-journald.service"],
                ["udevadm", "control", "--reload"], ["udevadm", "trigger", "--subsystem-match=tty"]]
    for command in commands:
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise KioskError(f"执行 {' '.join(command)} 失败：请确认本机以 systemd 启动并以 root 运行",
                             detail=repr(exc)) from None
    return [" ".join(c) for c in commands]


def _group_exists(grp, name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _run(args) -> int:
    import json

    layout = Layout(root=Path(args.root), prefix=args.prefix, config=args.kiosk_config, data_dir=args.data_dir,
                    user=args.user, watchdog=args.watchdog, burst=args.restart_limit)
    written = install(layout, args.reader_usb)
    ran = activate(layout) if str(layout.root) == "/" and not args.no_enable else []
    if args.json:
        print(json.dumps({"written": [str(p) for p in written], "ran": ran}, ensure_ascii=False))
        return 0
    for path in written:
        print(f"已写入 {path}")
    if ran:
        print("已启用开机自动启动（kiosk.service）和每日自检（kiosk-selftest.timer）")
    else:
        print("未启用服务（--no-enable 或非系统根目录）")
    if not shutil.which("cage") and not ran:
        print("提示：终端需安装 cage（apt-get install cage）作为触摸屏会话")
    return 0


def register(sub) -> None:
    p = sub.add_parser("install", help="安装为一体机：systemd 服务（看门狗、防重启循环）、读卡器udev规则、日志限额")
    p.add_argument("--root", default="/", help="安装到此根目录（默认 /；测试或制作镜像时用其他目录）")
    p.add_argument("--prefix", default="/opt/kiosk", help="软件版本目录（releases/、current）")
    p.add_argument("--kiosk-config", default="/etc/kiosk/kiosk.toml", help="服务使用的终端配置文件")
    p.add_argument("--data-dir", default="/var/lib/kiosk")
    p.add_argument("--user", default="kiosk", help="运行终端程序的系统用户")
    p.add_argument("--watchdog", type=int, default=30, help="看门狗秒数（界面卡住多久后重启）")
    p.add_argument("--restart-limit", type=int, default=5, help="10分钟内重启超过此次数即显示维修画面")
    p.add_argument("--reader-usb", help="读卡器的 VID:PID[:序列号]（多个USB串口时用来固定读卡器）")
    p.add_argument("--no-enable", action="store_true", help="只写文件，不启用服务")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
