"""`kiosk idcard read | probe | simulate | control`: the ID card reader from a shell."""
from __future__ import annotations

import sys

from . import add_json_flag, emit


def register(sub) -> None:
    group = sub.add_parser("idcard", help="身份证读卡器").add_subparsers(dest="idcard_command", required=True)

    read = group.add_parser("read", help="等待放置身份证并读取一次")
    read.add_argument("--port", help="串口路径（默认自动检测）")
    read.add_argument("--baud", type=int, default=115200)
    read.add_argument("--timeout", type=float, default=30.0, help="等待放卡的秒数")
    read.add_argument("--fingerprint", action="store_true", help="同时读取指纹（30 10）")
    add_json_flag(read)
    read.set_defaults(handler=_read)

    probe = group.add_parser("probe", help="检测各串口上的读卡器及其SAM编号")
    probe.add_argument("--port", action="append", help="只检测这些串口（可重复）")
    add_json_flag(probe)
    probe.set_defaults(handler=_probe)

    sim = group.add_parser("simulate", help="在伪终端上模拟读卡器（测试和演示用）")
    sim.add_argument("--card", help="证件JSON文件（tests/drivers/idcard/fixtures）")
    sim.add_argument("--link", required=True, help="伪终端的链接路径，读卡程序打开此路径")
    sim.add_argument("--control", help="控制套接字路径（默认 LINK.ctl）")
    sim.add_argument("--baud", type=int, default=115200)
    sim.add_argument("--warmup", type=float, default=2.0, help="SAM上电预热秒数")
    sim.add_argument("--absent", action="store_true", help="启动时不放卡")
    sim.add_argument("--read-delay", type=float, default=0.0, help="每次读卡的射频耗时（秒，演示时可设0.5）")
    sim.add_argument("--halt-after-read", action="store_true", help="读卡后须拿起重放才能再次寻卡（部分读卡器如此）")
    sim.set_defaults(handler=_simulate)

    ctl = group.add_parser("control", help="向模拟读卡器发送命令：place/remove/fault/vanish/return/status")
    ctl.add_argument("--socket", required=True, help="模拟器的控制套接字")
    ctl.add_argument("words", nargs="+")
    ctl.set_defaults(handler=_control)


def _read(args) -> int:
    import time

    from drivers.idcard.probe import probe
    from drivers.idcard.reader import SamReader, wait_until_ready
    from kiosk.devices.card_reader import NoCard, ReaderUnavailable

    port, baud = args.port, args.baud
    if not port:
        found = probe()
        if not found:
            raise ReaderUnavailable(detail="no reader found on any serial port")
        port, baud = found[0].port, found[0].baud
    reader = SamReader.open(port, baud)
    try:
        deadline = time.monotonic() + args.timeout
        wait_until_ready(reader, max(args.timeout, 3.0))
        while True:
            try:
                reader.find()
                break
            except NoCard:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
        reader.select()
        card = reader.read(args.fingerprint)
        data = card.as_json()
        if not args.fingerprint:
            data["appended_address"] = reader.read_appended_address() or ""
    finally:
        reader.close()
    valid = "长期" if card.valid_until is None else card.valid_until.isoformat()
    from kiosk.identity import mask_id, mask_name

    emit(args, data, f"{card.card_type.label}：{mask_name(card.name)} {card.gender} {card.birth_date} "
                     f"{mask_id(card.id_number)}（有效期至{valid}）")
    return 0


def _probe(args) -> int:
    from drivers.idcard.probe import probe

    found = probe(args.port)
    text = "\n".join(f"{r.port}  {r.baud}  SAM {r.sam_id}" for r in found) or "未发现读卡器"
    emit(args, {"readers": [r.as_json() for r in found]}, text)
    return 0 if found else 1


def _simulate(args) -> int:
    import signal
    import threading

    from drivers.idcard.simulator import SimCard, Simulator

    from kiosk.errors import KioskError

    try:
        card = SimCard.load(args.card) if args.card else None
    except (OSError, KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise KioskError("证件文件无法读取，请检查文件路径和内容", detail=f"card file: {exc.__class__.__name__}") from None
    control = args.control or f"{args.link}.ctl"
    sim = Simulator(args.link, card, baud=args.baud, warmup=args.warmup, control=control,
                    read_delay=args.read_delay, halt_after_read=args.halt_after_read)
    if card and not args.absent:
        sim.place()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with sim:
        print(f"模拟读卡器已启动：{args.link}（控制：{control}，{args.baud}波特）", flush=True)
        stop.wait()
    return 0


def _control(args) -> int:
    from drivers.idcard.simulator import control

    try:
        reply = control(args.socket, " ".join(args.words))
    except OSError:
        print(f"错误：无法连接模拟读卡器（{args.socket}），请先运行 kiosk idcard simulate", file=sys.stderr)
        return 1
    print(reply)
    return 0 if reply.startswith("ok") else 1
