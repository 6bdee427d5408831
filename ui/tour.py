"""A tour of every screen of a running KioskApp at each screen size: the screenshot command (`kiosk screens`) and
the layout tests use it. The app's session is put on each step with the demo student's record (a real card read on
the terminal's store, then the example's values), the screen entered and shown as the app would; device work is
not started (no camera, no printing): the photo and print screens are shown in their states by hand.

check(app) lists what is wrong on the screen shown: characters the font cannot draw, touch targets under
MIN_TOUCH, text wider than its label.
"""
from __future__ import annotations

from collections.abc import Iterator

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
        "contact_phone": example.contact_phone, "claims": example.claims})


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
    pump(4)
    return screen


def screens(app) -> Iterator[tuple[str, object]]:
    """(name, screen) for every screen the app has, each shown in turn: the flow, its error states, and any
    other screen (failure screens) entered as it is."""
    demo_session(app)
    for step in FLOW:
        yield step.value, show(app, step)
        if step in (Step.GUARDIANS, Step.HISTORY, Step.CONTACT):
            yield step.value + "-error", show(app, step, error=True)
    known = {s.value for s in FLOW}
    for name in app.sm.screen_names:
        if name in known:
            continue
        screen = app.sm.get_screen(name)
        try:
            screen.enter(app.session)
        except Exception:  # noqa: BLE001 - a screen that needs more state is shown as built
            pass
        app.sm.current = name
        pump(4)
        yield name, screen


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
    return problems


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


__all__ = ["FLOW", "check", "demo_session", "resize", "screens", "shoot", "show"]
