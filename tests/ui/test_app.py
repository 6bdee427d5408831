"""The touch app end to end, headless: a student (touches on real widgets) registers from the attract screen to the
printed form, on the simulated devices and embedded central server the app opens by default.

Screenshots of every screen go to artifacts/ui/ (gitignored) for a person to look at.
"""
import datetime as dt
import time

from kiosk.record import example_record
from kiosk.session import Step

PASSWORD = "Kaoshi2024ok"


def test_touch_registration_end_to_end(kiosk_ui, tmp_path):
    d = app = None
    d, app = kiosk_ui, kiosk_ui.app
    example = example_record(app.kiosk.clock().date())
    store = app.kiosk.store

    # attract: the reader comes up; the demo button lays the card on the simulated reader
    d.on("attract")
    d.wait(0.4)
    assert d.screen.big_prompt.text == "请将身份证放在感应区"
    d.screenshot("01-attract")
    d.tap(d.screen.simulate_button)
    d.on("identity")
    assert d.screen.chips["id_number"].value.text == example.id_number
    assert d.screen.chips["address"].value.text == example.card.address  # not cut
    d.screenshot("02-identity")

    # idle timeout: wiped back to attract, nothing of the student left on screen; the same card resumes the draft
    app.devices.card_reader.simulate("remove")  # a card lying on the reader counts as activity
    app.session.idle_timeout = dt.timedelta(seconds=0.5)
    d.until(lambda: app.sm.current == "attract", 5, "idle timeout")
    assert app.sm.get_screen("identity").chips["name"].value.text == ""
    app.session.idle_timeout = dt.timedelta(seconds=120)
    d.tap(d.screen.simulate_button)
    d.on("identity")
    assert len(store.find_by_id_number(example.id_number)) == 1
    d.tap(d.screen.next_button)

    # category: school prefilled from the roster's school, the allocation claim chosen
    d.on("category")
    assert d.screen.school.text == app.terminal_config.school_name
    d.tap(d.screen.claims["allocation"])
    d.screenshot("03-category")
    d.tap(d.screen.next_button)

    # guardians: a wrong phone number is refused with the message under that field
    d.on("guardians")
    father, mother, _ = d.screen.blocks
    g_father, g_mother = example.guardians
    d.type_pinyin(father.name, "wangjianguo", ["王", "建国"])
    assert father.name.text == g_father.name
    d.type(father.phone, "1380370")
    d.type(father.work_unit, g_father.work_unit)
    d.tap(d.screen.next_button)
    assert app.session.step is Step.GUARDIANS
    assert father.phone.error and "电话" in father.phone.error, father.phone.error
    d.screenshot("04-guardians-error")
    d.type(father.phone, g_father.phone)
    d.type(mother.name, g_mother.name)
    d.type(mother.phone, g_mother.phone)
    d.tap(d.screen.next_button)

    # study history: two rows, the second added with the button
    d.on("history")
    entries = example.study_history
    d.tap(d.screen.add_button)
    assert len(d.screen.rows) == 2
    for row, entry in zip(d.screen.rows, entries):
        for key, field in row.fields().items():
            d.type(field, getattr(entry, key))
    d.tap(app.keyboard.keys["confirm"])  # 确定 after the last field: the keyboard goes, the whole form shows
    assert app.keyboard.parent is None
    d.screenshot("05-history")
    d.tap(d.screen.next_button)

    d.on("contact")
    d.type(d.screen.phone, example.contact_phone)
    d.type(d.screen.address, example.home_address)
    d.tap(d.screen.next_button)

    # photo: live guidance from the scripted camera, then the shot, the questions, and the choice
    d.on("photo")
    photo = d.screen
    d.until(lambda: photo.preview.texture is not None and photo.guidance.text != "正在打开摄像头…", 20,
            "camera preview")
    d.until(lambda: "左" in photo.guidance.text or "右" in photo.guidance.text or photo._mode == "review", 20,
            "position guidance")
    d.screenshot("06-photo-live")
    d.until(lambda: photo._mode == "review", 30, "a shot")
    assert len(photo.shot_choices) == 1 and len(photo.confirmations) == 4
    assert photo.use_button.disabled  # every question answered first
    for question in photo.confirmations:
        d.tap(question)
    d.screenshot("07-photo-shots")
    d.tap(photo.use_button)

    # document: scan, preview, use
    d.on("document")
    d.tap(d.screen.scan_button)
    d.until(lambda: not d.screen.use_button.disabled, 20, "document preview")
    d.screenshot("08-document")
    d.tap(d.screen.use_button)

    # review: every section; 修改 on contact goes there and comes back to review
    d.on("review")
    d.screenshot("09-review")
    d.tap(d.screen.edit_buttons[Step.CONTACT])
    d.on("contact")
    assert d.screen.phone.text == example.contact_phone
    d.tap(d.screen.next_button)
    d.on("review")
    d.tap(d.screen.next_button)

    # password: masked, refused when the two differ, and never left on screen
    d.on("password")
    d.type(d.screen.first, PASSWORD)
    d.type(d.screen.second, PASSWORD + "x")
    assert d.screen.first.input.password and d.screen.second.input.password
    d.tap(d.screen.next_button)
    assert app.session.step is Step.PASSWORD and "不一致" in d.screen.second.error
    assert d.screen.first.input.text == "" and d.screen.second.input.text == ""
    d.screenshot("10-password-error")
    d.type(d.screen.first, PASSWORD)
    d.type(d.screen.second, PASSWORD)
    d.tap(d.screen.next_button)

    # print, then done
    d.until(lambda: app.sm.current in ("print", "done"), 5, "print")
    d.on("done", timeout=30)
    assert "签字" in d.screen.big.text
    d.screenshot("11-done")
    record = store.get(app.session.record.record_id)
    assert record.state.value == "printed" and record.print_count == 1
    assert record.claims == ["allocation"] and [g.name for g in record.guardians] == [g_father.name, g_mother.name]
    assert record.study_history == entries and record.photo_sha256 and record.document_sha256
    assert list((tmp_path / "printed").glob("*.pdf"))
    deadline = time.monotonic() + 20
    while store.outbox_depth() and time.monotonic() < deadline:
        d.wait(0.1)
    assert store.outbox_depth() == 0  # the record reached the embedded central server

    assert record.photo_confirmed and len(record.photo_confirmed) == 4  # the student's answers, on the record

    d.tap(d.screen.finish_button)
    d.on("attract")
    assert app.sm.get_screen("guardians").blocks[0].name.text == ""
    assert app.sm.get_screen("contact").phone.text == ""

    # the same card again: the printed form is to be handed in, a reprint is offered, nothing is reopened
    d.tap(d.screen.simulate_button)
    d.on("printed")
    assert d.screen.big.text == "已打印，请将签字的登记表交给工作人员"
    d.screenshot("12-printed")
    d.tap(d.screen.reprint_button)
    d.on("done", timeout=30)
    again = store.get(record.record_id)
    assert again.state.value == "printed" and again.print_count == 2 and again.version == record.version
    assert app.session.operator_sign("7").state.value == "signed"
