"""`kiosk-provision discover`: what is plugged into this terminal, and the device section of its config.

Serial ports are probed with SAM status at each baud rate (drivers.idcard.probe); V4L2 cameras are opened through
OpenCV and asked for the usual resolutions; CUPS queues come from the CUPS server; PC/SC readers from pcscd; SANE
scanners from `scanimage -L` when SANE is installed. Every source that is missing or down is reported, not fatal.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field

RESOLUTIONS = ((640, 480), (1280, 720), (1280, 960), (1920, 1080), (2592, 1944))
DEVICE_KEYS = ("card_reader", "camera", "document_camera", "printer")


@dataclass
class Found:
    card_readers: list[dict] = field(default_factory=list)  # port, baud, sam_id
    cameras: list[dict] = field(default_factory=list)  # source, resolutions [[w, h], ...]
    printers: list[dict] = field(default_factory=list)  # name, state, ready, default
    pcsc_readers: list[str] = field(default_factory=list)
    scanners: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Chinese: what could not be looked at

    def as_json(self) -> dict:
        return asdict(self)


def find_card_readers(ports: list[str] | None, found: Found) -> None:
    from drivers.idcard.probe import candidate_ports, probe_port

    ports = ports if ports else candidate_ports()
    if not ports:
        found.notes.append("没有找到串口设备（身份证读卡器未连接？）")
    stable = {os.path.realpath(p): p for p in ports if p.startswith("/dev/serial/by-id/")}
    usb = usb_ids()
    seen = set()
    for port in ports:
        device = os.path.realpath(port)
        if device in seen:
            continue
        seen.add(device)
        result = probe_port(stable.get(device, port))  # the by-id name survives re-plugging into another socket
        if result is not None:
            found.card_readers.append(result.as_json() | {"usb": usb.get(device)})


def usb_ids() -> dict[str, str]:
    """Real device path -> "vid:pid[:serial]" of USB serial adapters (for install --reader-usb)."""
    from serial.tools import list_ports

    ids = {}
    for info in list_ports.comports():
        if info.vid is not None and info.pid is not None:
            ids[os.path.realpath(info.device)] = f"{info.vid:04x}:{info.pid:04x}" + (
                f":{info.serial_number}" if info.serial_number else "")
    return ids


def camera_resolutions(source) -> list[list[int]] | None:
    """The resolutions the camera accepts (a file: its own size); None when it cannot be opened or gives no frame."""
    import cv2

    cap = cv2.VideoCapture(source)
    try:
        if not cap.isOpened():
            return None
        sizes: list[list[int]] = []
        if isinstance(source, int):
            for w, h in RESOLUTIONS:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
                got = [int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))]
                if got == [w, h] and got not in sizes:
                    sizes.append(got)
        ok, image = cap.read()
        if not ok or image is None:
            return None
        native = [int(image.shape[1]), int(image.shape[0])]
        return sizes or [native]
    finally:
        cap.release()


def find_cameras(extra: list[str] | None, found: Found) -> None:
    sources: list = sorted({int(p.removeprefix("/dev/video")) for p in glob.glob("/dev/video*")
                            if p.removeprefix("/dev/video").isdigit()})
    sources += list(extra or [])
    if not sources:
        found.notes.append("没有找到摄像头（/dev/video*）")
    for source in sources:
        sizes = camera_resolutions(source)
        if sizes:
            found.cameras.append({"source": str(source), "resolutions": sizes})


def find_printers(server: str | None, found: Found) -> None:
    try:
        from drivers.printer.cups_printer import CupsUnavailable, connect, list_queues
    except ImportError:
        found.notes.append("未安装CUPS打印支持（pycups）")
        return
    try:
        default = connect(server).getDefault()
    except CupsUnavailable:
        found.notes.append("CUPS打印服务未运行，无法查找打印机")
        return
    for status in list_queues(server):
        found.printers.append({"name": status.name, "state": status.state, "ready": status.ready,
                               "default": status.name == default, "alert": status.operator_alert})
    if not found.printers:
        found.notes.append("CUPS中没有打印队列（请先用 lpadmin 或打印机管理添加打印机）")


def find_pcsc(found: Found) -> None:
    """Readers listed by pcscd (a fresh context each time: pcsc-lite caches nothing across contexts)."""
    try:
        from smartcard import scard
    except ImportError:
        found.notes.append("未安装PC/SC支持（pyscard）")
        return
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        found.notes.append("智能卡服务（pcscd）未运行，无法查找工作人员卡读卡器")
        return
    try:
        result, names = scard.SCardListReaders(context, [])
        found.pcsc_readers = sorted(names) if result == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)
    if not found.pcsc_readers:
        found.notes.append("没有找到工作人员卡读卡器（PC/SC）")


def find_scanners(found: Found) -> None:
    if not shutil.which("scanimage"):
        return  # SANE is optional: document cameras are the usual way
    try:
        out = subprocess.run(["scanimage", "-f", "%d%n"], check=False, capture_output=True, text=True,
                             timeout=20).stdout
    except subprocess.TimeoutExpired:
        found.notes.append("查找扫描仪超时（scanimage）")
        return
    found.scanners = [line.strip() for line in out.splitlines() if line.strip()]


def discover(ports: list[str] | None = None, cameras: list[str] | None = None, cups_server: str | None = None) \
        -> Found:
    found = Found()
    find_card_readers(ports, found)
    find_cameras(cameras, found)
    find_printers(cups_server or os.environ.get("CUPS_SERVER") or None, found)
    find_pcsc(found)
    find_scanners(found)
    return found


def device_section(found: Found) -> dict:
    """The config keys discovery can fill: the first reader, the first camera (photo) and the second (document),
    the default (else the first) CUPS queue. Keys with nothing found are left out (the config keeps its value)."""
    section: dict = {}
    if found.card_readers:
        section["card_reader"] = found.card_readers[0]["port"]
    for key, camera in zip(("camera", "document_camera"), found.cameras):
        section[key] = camera["source"]
    if found.printers:
        section["printer"] = next((p["name"] for p in found.printers if p["default"]), found.printers[0]["name"])
    return section


def write_device_section(config_path, section: dict) -> None:
    from kiosk.config import TerminalConfig
    from kiosk.files import write_atomic

    config = TerminalConfig.load(config_path).model_copy(update=section)
    write_atomic(config_path, config.to_toml().encode("utf-8"), mode=0o644)


def describe(found: Found, section: dict) -> list[str]:
    lines = []
    for r in found.card_readers:
        lines.append(f"身份证读卡器：{r['port']}（{r['baud']}波特，SAM编号 {r['sam_id']}）")
        if r.get("usb"):
            lines.append(f"  固定设备名：kiosk-provision install --reader-usb {r['usb']}")
    for c in found.cameras:
        sizes = "、".join(f"{w}×{h}" for w, h in c["resolutions"])
        lines.append(f"摄像头：{c['source']}（分辨率 {sizes}）")
    for p in found.printers:
        state = "就绪" if p["ready"] else f"不可用：{p['alert']}"
        lines.append(f"打印机：{p['name']}{'（默认）' if p['default'] else ''}，{state}")
    lines += [f"工作人员卡读卡器：{name}" for name in found.pcsc_readers]
    lines += [f"扫描仪：{name}" for name in found.scanners]
    lines += [f"提示：{note}" for note in found.notes]
    if section:
        lines.append("写入终端配置：" + "，".join(f"{k} = {v}" for k, v in section.items()))
    else:
        lines.append("没有可写入终端配置的设备")
    return lines


def _run(args) -> int:
    import json

    found = discover(args.port, args.camera)
    section = device_section(found)
    written = bool(args.config and section and not args.no_write)
    if written:
        write_device_section(args.config, section)
    if args.json:
        print(json.dumps({"found": found.as_json(), "device_section": section, "written": written},
                         ensure_ascii=False))
    else:
        print("\n".join(describe(found, section)))
        if written:
            print(f"已更新终端配置 {args.config}")
    return 0 if found.card_readers else 1


def register(sub) -> None:
    p = sub.add_parser("discover", help="查找读卡器、摄像头、打印机、工作人员卡读卡器、扫描仪，并写入终端配置")
    p.add_argument("--config", help="终端配置文件（写入设备部分）")
    p.add_argument("--port", action="append", help="只探测此串口（可多次给出）")
    p.add_argument("--camera", action="append", help="另外检查此摄像头（设备号、文件或网址，可多次给出）")
    p.add_argument("--no-write", action="store_true", help="只显示，不写入配置")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
