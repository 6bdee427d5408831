"""A tour of every screen of a running KioskApp at each screen size: the screenshot command (`kiosk screens`) and
the layout tests use it. The app's session is put on each step with the demo student's record (a real card read on
the terminal's store, then the example's values), the screen entered and shown as the app would; device work is
not started (no camera, no printing): the print screen is shown in its state by hand, the photo screen with a
still of the simulated camera's demo subject taken once through the real photo pipeline (demo_shot).

check(app) lists what is wrong on the screen shown: characters the font cannot draw, touch targets under
MIN_TOUCH, text wider than its label.
"""
from __future__ import annotations

import time

from collections.abc import Iterator

from kiosk.clock import utcnow
from kiosk.session import Step

from . import theme

FLOW = [Step.ATTRACT, Step.REFUSED, Step.IDENTITY, Step.CATEGORY, Step.GUARDIANS, Step.HISTORY, Step.CONTACT,
        Step.PHOTO, Step.DOCUMENT, Step.REVIEW, Step.PASSWORD, Step.PRINT, Step.DONE, Step.PRINTED]


def pump(frames: int = 3) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def resize(app, size: tuple[int, int]) -> None:
    from kivy.core.window import Window

    config = app.terminal_config.model_copy(update={"screen_size": f"{size[0]}x{size[1]}", "fullscreen": False})
    theme.apply(Window, config)
    pump(4)


def demo_session(app) -> None:
    """The demo student's card read on the app's session (a record in the store), then the example's values."""
    from kiosk.record import example_record

    session = app.session
    example = example_record(app.kiosk.clock().date())
    session.reset()
    session.card_read(example.card, app.category)
    if session.record is None:
        raise RuntimeError(f"the demo card was refused: {session.refusal}")
    session.record = session.record.model_copy(update={
        "guardians": example.guardians, "study_history": example.study_history, "school_name": example.school_name,
        "contact_phone": example.contact_phone, "home_address": example.home_address, "claims": example.claims})


def show(app, step: Step, *, error: bool = False) -> object:
    """Puts the app on `step` (error: with an error under every field the screen has, and a general one)."""
    session = app.session
    app.hide_keyboard()
    screen = app.sm.get_screen(step.value)
    session.step = step
    session.errors = {}
    if step is Step.REFUSED:
        session.refusal = ["本校终端只能为学籍在本校的学生采集信息，请到学籍所在学校采集或咨询老师",
                           "九年级在学籍所在学校报考信息采集已于2024年3月15日18时结束"]
    if step is not Step.ATTRACT:
        screen.enter(session)
    app.sm.current = step.value
    app._shown = step
    if error:
        session.errors = {path: "格式不正确，请按提示重新填写" for path in screen.fields}
        session.errors["_"] = "请检查标红的项目"
    screen.show_state(session)
    if step is Step.PRINT:
        screen.failed("打印机缺纸，请联系工作人员添加纸张后点“重新打印”")
    if step is Step.PHOTO:  # the shot taken, its choice and the questions (the tour has no camera running)
        screen.show_shots([demo_shot(app)], True)
    pump(4)
    if step is Step.REVIEW:  # the pictures are decoded off the UI thread: shown once they are (bounded)
        for _ in range(200):
            if not screen.loading:
                break
            time.sleep(0.01)
            pump(1)
    return screen


_shots: dict[str, object] = {}


def demo_shot(app):
    """The FinalPhoto of the simulated camera's demo subject through the real photo pipeline (PhotoSession),
    taken once per process and policy: every size of the tour shows the same still."""
    from drivers.camera.demo import demo_camera

    from .robot import take_photo

    policy = app.session.policy
    if policy.name not in _shots:
        _shots[policy.name] = take_photo(demo_camera(), policy.photo, lambda _message: None)
    return _shots[policy.name]


def screens(app) -> Iterator[tuple[str, object]]:
    """(name, screen) for every screen the app has, each shown in turn with realistic demo data: the flow, its
    error states, the on-screen keyboard's layouts, the paused attract screen, the idle countdown, every failure (over the step it happens on) and
    the operator screens."""
    demo_session(app)
    for step in FLOW:
        yield step.value, show(app, step)
        if step in (Step.GUARDIANS, Step.HISTORY, Step.CONTACT):
            yield step.value + "-error", show(app, step, error=True)
    yield from _keyboards(app)
    app.session.paused = True
    yield "attract-paused", show(app, Step.ATTRACT)
    app.session.paused = False
    yield "idle-countdown", _countdown(app)
    for name, step, failure, called in demo_failures():
        yield name, _failure(app, step, failure, called)
    yield from _operator(app)
    app.failures.current = None
    app.idle.hide()


def demo_failures() -> list[tuple[str, Step, object, bool]]:
    """(name, the step it happens on, the Failure, staff already called) for the tour: the printer's out of paper
    (with toner low) through the printer drivers' own CUPS reason table, the reader lost mid-flow, the camera
    silent, the scanner failing, the store's seal broken."""
    from drivers.printer.reasons import describe_job, describe_printer
    from kiosk.devices.printer import JobState

    from .screens import failure as failures

    printer = describe_printer("kiosk", "stopped", ["media-empty-error", "toner-low-warning"])
    job = describe_job(printer, 42, JobState.PROCESSING)
    return [
        ("failure-printer", Step.PRINT, failures.printer_failed(job.student_message, job.operator_alert), True),
        ("failure-reader", Step.GUARDIANS, failures.reader_lost(mid_flow=True), False),
        ("failure-camera", Step.PHOTO, failures.camera_silent(5), False),
        ("failure-scanner", Step.DOCUMENT, failures.scanner_error("扫描仪没有响应"), False),
        ("failure-seal", Step.REFUSED, failures.seal_broken(), True),
    ]


def _keyboards(app) -> Iterator[tuple[str, object]]:
    """The on-screen keyboard over the guardians' form: pinyin composing (wei, its candidates), the stroke
    picker, the handwriting pad, the phone pad."""
    screen = show(app, Step.GUARDIANS)
    board, block = app.keyboard, screen.blocks[0]
    if board is None:  # no on-screen keyboard on this machine
        return
    block.work_unit.input.focus = True
    pump(4)
    if board.pinyin_available:
        for key in "wei":
            board.press(key)
    pump(4)
    yield "keyboard-pinyin", screen
    for name in ("strokes", "handwriting"):
        board.layout = name
        pump(4)
        yield f"keyboard-{name}", screen
    board.layout = "text"
    block.phone.input.focus = True
    pump(4)
    yield "keyboard-phone", screen
    board.reset()
    app.hide_keyboard()
    pump(2)


def _countdown(app):
    screen = show(app, Step.GUARDIANS)
    app.idle.countdown.show(15)
    if app.idle.countdown.parent is None:
        app.root_layout.add_widget(app.idle.countdown)
    pump(4)
    return screen


def _failure(app, step: Step, failure, called: bool):
    app.idle.hide()
    show(app, step)
    if step is Step.PRINT:
        app.sm.get_screen("print").failed(failure.advice)
    app.failures.current = None
    app.failures.fail(failure)
    screen = app.sm.get_screen("failure")
    if called:
        screen.staff_called()
    pump(4)
    return screen


def _operator(app) -> Iterator[tuple[str, object]]:
    """The operator screens with an operator logged in, printed forms waiting, an outbox waiting for the network,
    a printer out of paper, and the assisted form with a wrong check digit."""
    import datetime as dt

    from kiosk.operator import PrintedRow, Summary, SyncState

    app.failures.current = None
    mode, today = app.operator, app.kiosk.clock().date()
    login = mode.screens["operator_login"]
    login.show_login("PIN码错误，还可尝试4次", True, "演示：PIN码123456")
    yield "operator_login", _operator_show(app, login)
    home = mode.screens["operator"]
    rows = [PrintedRow("demo-1", "王小明", "4114**********0012", app.terminal_config.school_name, 1, 3, ""),
            PrintedRow("demo-2", "李思琪", "4114**********0026", app.terminal_config.school_name, 2, 4, "op-01",
                       ["监护人电话与户口簿不一致，已电话核实"]),
            PrintedRow("demo-3", "刘䶮", "4114**********0035", app.terminal_config.school_name, 1, 2, "")]
    home.show_rows("张老师（演示工作人员）", rows, paused=False)
    home.note("已重新打印（第2次）", ok=True)
    yield "operator", _operator_show(app, home)
    status = mode.screens["operator_status"]
    summary = Summary(today, 37, 35, 30, 4, ["打印失败：打印机缺纸", "上传错误：无法连接中心服务器（连接超时）",
                                              "0026：监护人电话与户口簿不一致，已电话核实"])
    sync = SyncState(4, "待上传4条，网络恢复后自动上传", "无法连接中心服务器（连接超时）",
                     (utcnow() - dt.timedelta(minutes=18)).isoformat())
    peripherals = [("身份证读卡器", "正常", True), ("摄像头", "正常", True), ("证件扫描", "正常", True),
                   ("打印机", "缺纸；碳粉不足", False), ("工作人员卡读卡器", "正常", True),
                   ("中心服务器", "无法连接（连接超时）", False)]
    status.show(summary, sync, peripherals)
    status.show_voice(False)
    yield "operator_status", _operator_show(app, status)
    assist = mode.screens["operator_assist"]
    for key, value in {"name": "赵一鸣", "ethnicity": "汉族", "birth_date": "2010-05-17",
                       "id_number": "411402201005170013", "address": "河南省商丘市梁园区平原路12号"}.items():
        assist.fields[key].text = value
    assist.genders["男"].state = "down"
    assist.show_errors({"id_number": "公民身份号码校验位不正确，请核对户口簿"})
    yield "operator_assist", _operator_show(app, assist)
    for screen in mode.screens.values():
        screen.clear()


def _operator_show(app, screen):
    app.hide_keyboard()
    app.sm.current = screen.name
    pump(4)
    return screen


def check(app) -> list[str]:
    """What is wrong on the window now: undrawable characters, small touch targets, text wider than its label."""
    from kivy.core.window import Window
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    from .glyphs import undrawn

    problems = [f"missing glyphs {chars!r} in {getattr(w, 'text', '')[:30]!r}" for w, chars in undrawn(Window)]
    for widget in (w for child in Window.children for w in child.walk()):
        if not _visible(widget):
            continue
        if isinstance(widget, Button) and min(widget.size) < theme.MIN_TOUCH:
            problems.append(f"touch target {widget.text[:20]!r} is {widget.width:.0f}x{widget.height:.0f}")
        if isinstance(widget, Label) and widget.text and not widget.shorten and widget.text_size[0] \
                and widget.texture_size[0] > widget.width + 2:
            problems.append(f"text {widget.text[:20]!r} wider than its label")
        if isinstance(widget, Label) and widget.text and _off_window(widget, Window):
            problems.append(f"{widget.text[:20]!r} outside the window")
    return problems


def _off_window(widget, window) -> bool:
    """Beyond the window's edge (what lies in a scroll view may be scrolled away: not counted)."""
    from kivy.uix.scrollview import ScrollView

    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            return False
        node = node.parent
    x, y = widget.to_window(widget.x, widget.y)
    return x < -1 or y < -1 or x + widget.width > window.width + 1 or y + widget.height > window.height + 1


def _visible(widget) -> bool:
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0 or (node.size[0] <= 0 or node.size[1] <= 0):
            return False
        parent = node.parent
        node = parent if parent is not node else None
    return True


def shoot(app, out, sizes=theme.SIZES) -> list:
    """Screenshots of every screen at every size into out/<W>x<H>/<nn>-<name>.png; the problems found."""
    from pathlib import Path

    from kivy.core.window import Window

    out, written, problems = Path(out), [], []
    for size in sizes:
        resize(app, size)
        folder = out / f"{size[0]}x{size[1]}"
        folder.mkdir(parents=True, exist_ok=True)
        for i, (name, _screen) in enumerate(screens(app)):
            Window.canvas.ask_update()
            pump(2)
            taken = Path(Window.screenshot(name=str(folder / f"{i:02d}-{name}.png")))
            target = folder / f"{i:02d}-{name}.png"
            taken.replace(target)
            written.append(target)
            problems += [f"{size[0]}x{size[1]} {name}: {p}" for p in check(app)]
    app.session.reset()
    app.refresh()
    return written, problems


__all__ = ["FLOW", "check", "demo_failures", "demo_session", "demo_shot", "resize", "screens", "shoot", "show"]
