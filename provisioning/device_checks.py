"""Self-test of the peripherals through the production drivers: card reader, camera, document camera, printer.

Each driver is imported lazily, so a missing library is a failed check, not a stopped self-test. A device set to
"simulator" (or the file printer) is a warning: the terminal works, but not with real hardware.
"""
from __future__ import annotations

import os
import time

from .checks import Check, Context

SIMULATED = "simulator"
MIN_FRAMES = 3
LUMA_RANGE = (50.0, 210.0)  # mean grey level of a usable picture
DOCUMENT_MIN = (800, 600)  # the policy's document image size


# --- card reader -------------------------------------------------------------------------------------------------

def check_reader(ctx: Context) -> Check:
    from drivers.idcard.probe import candidate_ports, probe_port
    from drivers.idcard.reader import SamReader
    from kiosk.devices.card_reader import CardReaderError

    port = ctx.config.card_reader
    if port == SIMULATED:
        return Check("card_reader", "warning", "使用模拟读卡器（未配置真实读卡器，请运行 kiosk-provision discover）",
                     "card_reader = simulator")
    ports = candidate_ports() if port == "auto" else [port]
    if not ports:
        return Check("card_reader", "error", "未找到串口，请检查身份证读卡器的USB连接", "no serial port")
    for path in ports:
        try:
            SamReader.open(path).close()
        except CardReaderError:
            if port != "auto":
                busy = os.path.exists(path)  # there but not ours: the running kiosk holds it, or no permission
                hint = ("读卡器端口被占用或无权限（终端程序运行时请先 systemctl stop kiosk）" if busy else
                        "读卡器端口无法打开，请检查读卡器USB连接")
                return Check("card_reader", "error", hint, f"cannot open {path} ({'busy' if busy else 'absent'})")
            continue
        found = probe_port(path, slack=ctx.extra.get("reader_slack", 0.0))
        if found is None:
            if port != "auto":
                return Check("card_reader", "error", "读卡器无响应（SAM模块未应答），请重新插拔读卡器或断电重启",
                             f"no SAM status answer on {path} at any baud rate")
            continue
        detail = f"{found.port} at {found.baud} baud, SAM {found.sam_id}"
        if ctx.test_card:
            return _test_card(found, detail, ctx)
        return Check("card_reader", "ready", f"读卡器正常（SAM编号 {found.sam_id}）", detail)
    return Check("card_reader", "error", "所有串口上都没有找到身份证读卡器", f"probed {ports}")


def _test_card(found, detail: str, ctx: Context) -> Check:
    from drivers.idcard.reader import SamReader
    from kiosk.devices.card_reader import CardReaderError, NoCard
    from kiosk.identity import mask_id

    reader = SamReader.open(found.port, found.baud, slack=ctx.extra.get("reader_slack", 0.0))
    try:
        card = reader.read_card()
    except NoCard:
        return Check("card_reader", "warning", "读卡器正常，但未检测到测试卡（请将身份证放在读卡区）", detail)
    except CardReaderError as exc:
        return Check("card_reader", "error", f"测试卡读取失败：{exc.message}", f"{detail}; {exc.detail}")
    finally:
        reader.close()
    return Check("card_reader", "ready", f"读卡器正常，测试卡读取成功（{mask_id(card.id_number)}，SAM编号 {found.sam_id}）",
                 detail)


# --- cameras -----------------------------------------------------------------------------------------------------

def _open_camera(source: str):
    from drivers.camera.opencv import OpenCVCamera, file_camera

    if source.isdigit():
        camera = OpenCVCamera(int(source))
    else:
        camera = file_camera(source)
    camera.open()
    return camera


def _frames(source: str, timeout: float) -> list:
    camera = _open_camera(source)
    try:
        frames, deadline = [], time.monotonic() + timeout
        while len(frames) < MIN_FRAMES and time.monotonic() < deadline:
            frame = camera.read(timeout=max(0.0, deadline - time.monotonic()))
            if frame is not None:
                frames.append(frame)
        return frames
    finally:
        camera.close()


def _live_frames(name: str, source: str, ctx: Context, *, simulated: str, unopened: str, blank: str) -> list | Check:
    """The frames the configured camera `name` gives within ctx.timeout, or the Check saying why there are none
    (the simulator configured, the device not opening, too few frames)."""
    from kiosk.errors import KioskError

    if source == SIMULATED:
        return Check(name, "warning", simulated, f"{name} = simulator")
    try:
        frames = _frames(source, ctx.timeout)
    except KioskError as exc:
        return Check(name, "error", unopened, exc.detail)
    if len(frames) < MIN_FRAMES:
        return Check(name, "error", blank, f"{len(frames)} frames in {ctx.timeout}s")
    return frames


def backdrop_blue(image, ctx: Context) -> float:
    """Share of the frame's top band (above any head) that reads as the photo policy's blue backdrop."""
    import cv2

    from kiosk.photo.thresholds import Thresholds

    t = Thresholds()
    band = image[: max(1, image.shape[0] // 8)]
    hsv = cv2.cvtColor(band, cv2.COLOR_BGR2HSV)
    mask = cv2.inRange(hsv, (t.blue_hue[0], t.blue_min_s, t.blue_min_v), (t.blue_hue[1], 255, 255))
    return cv2.countNonZero(mask) / mask.size


def check_camera(ctx: Context) -> Check:
    from kiosk.errors import KioskError
    from kiosk.photo.thresholds import Thresholds
    from kiosk.policy import get_policy

    source = ctx.config.camera
    frames = _live_frames("camera", source, ctx, simulated="使用模拟摄像头（未配置真实摄像头）",
                          unopened="摄像头无法打开，请检查摄像头USB连接", blank="摄像头没有画面，请重新插拔摄像头")
    if isinstance(frames, Check):
        return frames
    image = frames[-1].image
    h, w = image.shape[:2]
    luma = float(image.mean())
    blue = backdrop_blue(image, ctx)
    detail = f"{source}: {w}x{h}, {len(frames)} frames, mean luma {luma:.0f}, backdrop blue {blue:.2f}"
    if not LUMA_RANGE[0] <= luma <= LUMA_RANGE[1]:
        hint = "画面过暗，请打开补光灯或调整曝光" if luma < LUMA_RANGE[0] else "画面过亮，请调低补光灯或曝光"
        return Check("camera", "warning", hint, detail)
    try:
        background = get_policy(ctx.config.policy, ctx.paths.pulled_policies).photo.background
    except KioskError:
        background = "blue"
    if background == "blue" and blue < Thresholds().min_blue:
        return Check("camera", "warning", "背景不是均匀的蓝色，请检查蓝色背景布是否挂好、是否被遮挡", detail)
    return Check("camera", "ready", f"摄像头正常（{w}×{h}，蓝色背景）", detail)


def check_document_camera(ctx: Context) -> Check:
    source = ctx.config.document_camera
    frames = _live_frames("document_camera", source, ctx, simulated="使用模拟证件扫描（未配置真实证件摄像头）",
                          unopened="证件摄像头无法打开，请检查USB连接", blank="证件摄像头没有画面，请重新插拔")
    if isinstance(frames, Check):
        return frames
    h, w = frames[-1].image.shape[:2]
    detail = f"{source}: {w}x{h}, {len(frames)} frames"
    if w < DOCUMENT_MIN[0] or h < DOCUMENT_MIN[1]:
        return Check("document_camera", "error", f"证件摄像头分辨率过低（{w}×{h}，至少需要800×600）", detail)
    return Check("document_camera", "ready", f"证件摄像头正常（{w}×{h}）", detail)


# --- printer -----------------------------------------------------------------------------------------------------

def test_page_pdf(terminal_id: str) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from kiosk.form.fonts import FONT_NAME, font

    font()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont(FONT_NAME, 20)
    page.drawString(72, 760, "采集终端打印自检测试页")
    page.setFont(FONT_NAME, 12)
    page.drawString(72, 730, f"终端 {terminal_id}  {time.strftime('%Y-%m-%d %H:%M:%S')}")
    page.rect(72, 400, 451, 300)
    page.save()
    return out.getvalue()


def check_printer(ctx: Context) -> Check:
    name = ctx.config.printer
    if name == "file":
        return Check("printer", "warning", "使用文件打印（未配置真实打印机，请运行 kiosk-provision discover）",
                     f"printer = file ({ctx.paths.printed})")
    try:
        from drivers.printer.cups_printer import CupsPrinter
    except ImportError as exc:
        return Check("printer", "error", "缺少CUPS打印支持（pycups），请重新安装终端软件", repr(exc))
    printer = CupsPrinter(name, server=ctx.cups_server)  # None: $CUPS_SERVER, else the system's cupsd
    status = printer.status()
    detail = f"queue {name}: {status.state}, reasons {list(status.reasons) or 'none'}"
    if ctx.test_page and status.ready:
        job = printer.wait(printer.submit(test_page_pdf(ctx.config.terminal_id), "kiosk self-test"),
                           timeout=max(ctx.timeout, 20.0))
        detail += f"; test page job {job.job_id} {job.state.value}"
        if job.state.value != "completed":
            return Check("printer", "error", job.operator_alert or "测试页打印失败，请检查打印机", detail)
        status = printer.status()
    if not status.ready:
        return Check("printer", "error", status.operator_alert or "打印机不可用", detail)
    if status.operator_alert:
        return Check("printer", "warning", status.operator_alert, detail)
    return Check("printer", "ready", "打印机就绪" + ("，测试页已打印" if ctx.test_page else ""), detail)


# --- operator badge reader (PC/SC) -------------------------------------------------------------------------------

def check_badge_reader(ctx: Context) -> Check:
    """Operators log in with a badge: with operators registered, a missing pcscd or reader is an error."""
    from .discover import Found, find_pcsc

    found = Found()
    find_pcsc(found)
    needed = ctx.paths.operators.exists()
    if found.pcsc_readers:
        return Check("badge_reader", "ready", f"工作人员卡读卡器正常（{found.pcsc_readers[0]}）",
                     f"PC/SC readers: {found.pcsc_readers}")
    message = found.notes[0] if found.notes else "没有找到工作人员卡读卡器"
    if needed:
        return Check("badge_reader", "error", f"{message}：工作人员无法刷卡登录", "operators registered, no reader")
    return Check("badge_reader", "warning", f"{message}（尚未登记工作人员）", "no operators registered")


DEVICE_CHECKS = [check_reader, check_camera, check_document_camera, check_printer, check_badge_reader]
