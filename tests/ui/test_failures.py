"""Every failure has a screen: what happened, what to do, a retry where one makes sense, 呼叫工作人员 (flagged in the
heartbeat central receives). Real simulators: the reader's pty vanishing, scripted and broken cameras, a scanner
with nothing to read, the private cupsd's paper-out, the embedded central server stopped."""
import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card, walk_to  # noqa: E402

from tests.support.cups import cupsd  # noqa: E402,F401 - the private cupsd fixture, shared with the printer tests

from kiosk.session import Step  # noqa: E402


def central_peripherals(app) -> dict:
    from central.models import Terminal

    tid = app.kiosk.station.terminal_id
    return app.kiosk.demo.server.central.write(lambda s: dict(s.get(Terminal, tid).peripherals or {}))


def test_reader_lost_mid_flow_keeps_what_was_typed_and_calls_staff(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    lay_card(d)
    walk_to(d, Step.GUARDIANS)
    father = d.screen.blocks[0]
    d.type(father.work_unit, "郑州市第一中学")
    app.devices.card_reader.simulate("vanish")  # the USB reader unplugged
    d.on("failure", timeout=15)
    screen = d.screen
    assert screen.headline.text == "身份证阅读器连接中断" and "已填写的信息已保留" in screen.advice.text
    assert screen.exit_button.opacity == 1 and screen.retry_button.opacity == 0
    d.tap(screen.call_button)
    assert screen.called.text == "已呼叫工作人员，请稍候"
    d.screenshot("failure-reader-lost")
    d.until(lambda: central_peripherals(app).get("staff_call", "").startswith("card_reader"), 15,
            "the staff call in central's heartbeat")
    app.devices.card_reader.simulate("return")
    d.on("guardians", timeout=15)
    assert d.screen.blocks[0].work_unit.text == "郑州市第一中学"  # resumed as it was left
    assert app.session.step is Step.GUARDIANS
    d.until(lambda: "staff_call" not in central_peripherals(app), 15, "the call cleared in the heartbeat")


def test_camera_error_and_silence_then_scanner_failure_each_retry(kiosk_ui):
    from drivers.camera import OpenCVCamera, Pose, ScriptedCamera, Subject
    from drivers.camera.demo import demo_face
    from drivers.scanner import ImageScanner

    d, app = kiosk_ui, kiosk_ui.app
    real_scanner = app.devices.scanner
    app.devices.open_camera = lambda: OpenCVCamera("/nonexistent/video9")
    lay_card(d)
    walk_to(d, Step.PHOTO)
    d.on("failure", timeout=15)
    assert d.screen.headline.text == "摄像头无法使用" and "无法打开摄像头" in d.screen.advice.text
    d.screenshot("failure-camera-error")

    # a camera that sends one frame and then nothing: silent for 5 s, not 正在打开摄像头… forever
    app.devices.open_camera = lambda: ScriptedCamera(Subject(demo_face()), [(0, Pose())])
    d.tap(d.screen.retry_button)
    d.on("photo")
    d.on("failure", timeout=20)
    assert d.screen.headline.text == "摄像头没有画面" and d.screen.retry_button.text == "重试"
    d.screenshot("failure-camera-silent")

    from drivers.camera.demo import demo_camera
    app.devices.open_camera = lambda: demo_camera(loop=True)
    d.tap(d.screen.retry_button)
    d.on("photo")
    photo = d.screen
    d.until(lambda: photo.preview.texture is not None, 20, "camera preview after the retry")

    # the scanner has nothing to give
    walk_to(d, Step.DOCUMENT)
    app.devices.scanner = ImageScanner("/nonexistent/document.jpg")
    d.tap(d.screen.scan_button)
    d.on("failure", timeout=15)
    assert d.screen.headline.text == "证件扫描设备故障" and "无法读取证件图像" in d.screen.advice.text
    d.screenshot("failure-scanner")
    app.devices.scanner = real_scanner
    d.tap(d.screen.retry_button)
    d.on("document")
    d.until(lambda: not d.screen.use_button.disabled, 20, "document preview after the retry")


def test_broken_seal_stops_the_flow_and_flags_the_terminal(kiosk_ui):
    import sqlite3

    d, app = kiosk_ui, kiosk_ui.app
    lay_card(d)
    walk_to(d, Step.REVIEW)
    record_id = str(app.session.record.record_id)
    with sqlite3.connect(app.kiosk.paths.store) as db:  # a tampered photo on disk
        db.execute("UPDATE attachments SET data = zeroblob(64) WHERE record_id = ? AND kind = 'photo'", (record_id,))
    app.session.go_back_to(Step.CONTACT)
    app.refresh()
    d.on("contact")
    app.session.set_contact(app.session.record.contact_phone, app.session.record.home_address)
    app.refresh()  # the review screen reads the photo again
    d.on("failure", timeout=10)
    assert d.screen.headline.text == "终端存储的数据校验失败"
    assert app.session.record is None
    d.screenshot("failure-seal")
    d.until(lambda: central_peripherals(app).get("staff_call", "").startswith("seal"), 15, "seal staff call")


def test_network_down_is_shown_on_every_screen_with_the_backlog(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    d.on("attract")
    app.kiosk.demo.server.stop()
    lay_card(d)
    walk_to(d, Step.PASSWORD)
    app.session.set_password("Kaoshi2024ok", "Kaoshi2024ok")  # submitted: queued for central
    app.refresh()
    d.on("done", timeout=30)
    d.until(lambda: app.network.opacity == 1 and "待上传" in app.network.text, 30, "the indicator with the backlog")
    assert app.network.text.startswith("网络未连接")
    assert app.network.get_root_window() is not None
    d.screenshot("failure-network-down")


def test_paper_out_waits_for_the_operator_then_reprints(kiosk_ui, cupsd):
    from drivers.printer.cups_printer import CupsPrinter

    d, app = kiosk_ui, kiosk_ui.app
    queue = cupsd.add_queue("media-empty")
    app.devices.printer = CupsPrinter(queue.name, server=cupsd.socket, poll_interval=0.05, fault_grace=1.0)
    lay_card(d)
    app.devices.card_reader.simulate("remove")
    walk_to(d, Step.PASSWORD)
    app.session.set_password("Kaoshi2024ok", "Kaoshi2024ok")
    app.refresh()
    d.on("failure", timeout=60)
    screen = d.screen
    assert "缺纸" in screen.advice.text and "加入A4纸" in screen.operator.text
    assert "正在打印" not in screen.prompt.text and screen.prompt.text == "登记表未能打印"
    assert screen.exit_button.opacity == 0  # the submitted record waits for its paper
    d.screenshot("failure-printer-paper-out")

    # never wiped by idle: the student and the record wait for the staff
    app.kiosk.clock.advance(dt.timedelta(seconds=600))
    app.idle.tick()
    d.frames(2)
    assert app.sm.current == "failure" and app.session.step is Step.PRINT and app.idle.countdown.parent is None

    # the staff load paper: the queue works again, 已处理，重新打印
    conn = cupsd.connection()
    for job_id in conn.getJobs():
        conn.cancelJob(job_id)
    conn.addPrinter(queue.name, device=f"kiosktest:{queue.output}")
    conn.enablePrinter(queue.name)
    d.tap(screen.retry_button)
    d.on("done", timeout=60)
    record = app.kiosk.store.get(app.session.record.record_id)
    assert record.state.value == "printed" and queue.output.exists()


def test_field_service_hooks_update_lock_identify_watchdog(kiosk_ui):
    from kiosk import identify
    from kiosk.update_lock import exclusive

    d, app = kiosk_ui, kiosk_ui.app
    paths = app.kiosk.paths
    d.on("attract")
    with exclusive(paths.update_lock, timeout=1):  # kiosk-provision update is applying an update
        d.tap(d.screen.simulate_button)
        d.until(lambda: d.screen.status.text == "终端正在升级，请稍候", 10, "update refusal")
        assert app.session.step is Step.ATTRACT
    d.tap(d.screen.simulate_button)  # lifts the card
    d.wait(0.8)
    if app.sm.current == "attract":
        d.tap(d.screen.simulate_button)
    d.on("identity")
    assert app.field.lock.held  # an update now waits for this registration
    d.tap(d.screen.exit_button)
    d.on("attract")
    assert not app.field.lock.held

    identify.request(paths.identify_request, 5)
    d.until(lambda: app.field.flash is not None and app.field.flash.get_root_window() is not None, 5, "identify")
    assert app.kiosk.station.terminal_id in app.field.flash.text.text
    d.screenshot("identify-flash")
    identify.clear(paths.identify_request)
    d.until(lambda: app.field.flash is None, 5, "identify over")
    assert app.field.heartbeat.pings > 0  # the watchdog is fed from the UI loop
