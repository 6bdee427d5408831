"""Idle: a countdown in the last 20 s with 继续; a card on the reader and a face following the photo guidance are
activity; on expiry (or 退出，清除本人信息) nothing of the student remains in any widget of the whole tree."""
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card, personal_strings, texts, walk_to  # noqa: E402

from kiosk.session import Step  # noqa: E402


def leftovers(app, record) -> list[str]:
    shown = texts(app)
    return [p for p in personal_strings(record) if any(p in t for t in shown)]


def test_countdown_stay_then_wipe_and_the_exit_button(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    clock = app.kiosk.clock
    lay_card(d)
    walk_to(d, Step.GUARDIANS)
    father = d.screen.blocks[0]
    d.type(father.work_unit, "郑州市第一中学")
    record = app.session.record
    assert leftovers(app, record), "the test must see the student's data on screen first"

    # the card still lies on the reader: that is activity
    clock.advance(dt.timedelta(seconds=115))
    app.idle.tick()
    assert app.idle.countdown.parent is None and app.sm.current == "guardians"

    app.devices.card_reader.simulate("remove")
    d.until(lambda: not app.idle.card_present, 10, "card removed")
    clock.advance(dt.timedelta(seconds=110))
    app.idle.tick()
    d.frames(2)
    assert app.idle.countdown.parent is not None and "秒后将退出并清除本人信息" in app.idle.countdown.seconds.text
    d.screenshot("idle-countdown")
    d.tap(app.idle.countdown.stay_button)
    assert app.idle.countdown.parent is None and app.sm.current == "guardians"
    assert d.screen.blocks[0].work_unit.text == "郑州市第一中学"

    clock.advance(dt.timedelta(seconds=130))
    app.idle.tick()
    d.on("attract")
    assert app.session.record is None and app.session.card is None
    assert leftovers(app, record) == [] and "郑州市第一中学" not in texts(app)

    # the same card resumes the draft; the exit button wipes it at once
    lay_card(d)
    walk_to(d, Step.CONTACT)
    assert leftovers(app, record)
    assert d.screen.exit_button.text == "退出，清除本人信息"
    d.screenshot("idle-exit-button")
    d.tap(d.screen.exit_button)
    d.on("attract")
    assert leftovers(app, record) == []


def test_photo_guidance_is_activity(kiosk_ui):
    from drivers.camera import Pose, ScriptedCamera, Subject
    from drivers.camera.demo import LoopingCamera, demo_face

    d, app = kiosk_ui, kiosk_ui.app
    # the student sits off-centre and follows no advice: guidance goes on, no shot, nobody touches
    app.devices.open_camera = lambda: LoopingCamera(ScriptedCamera(Subject(demo_face()), [(0, Pose(face_x=0.25)),
                                                                                         (2, Pose(face_x=0.25))]))
    app.realtime_camera = True
    lay_card(d)
    app.devices.card_reader.simulate("remove")
    walk_to(d, Step.PHOTO)
    photo = d.screen
    d.until(lambda: photo.guidance.text not in ("", "正在打开摄像头…"), 30, "guidance")
    app.kiosk.clock.advance(dt.timedelta(seconds=119))
    d.wait(1.5)  # frames keep coming: each guided frame is activity
    app.idle.tick()
    d.frames(2)
    assert app.sm.current == "photo" and app.idle.countdown.parent is None and app.session.step is Step.PHOTO
