"""Operator mode in the touch app, headless, with touches on the real widgets: the hidden long press and the PIN on
the numeric pad (the demo's simulated badge through the real registry and login), sign-off locking the record,
reprint count, send back to draft with the audit row, pause refusing a card, the summary numbers, and the assisted
path for a student without an ID card to a printed form that says the identity was operator-verified.

Screenshots go to artifacts/ui/operator-*.png."""
import io
import subprocess
import time


import ui.app  # noqa: F401 - first: it sets the window's size in Kivy's Config before anything opens the window
from kiosk.document import DocumentImage
from kiosk.photo import CONFIRMATIONS, FinalPhoto
from kiosk.record import RecordState
from kiosk.session import PAUSED_PROMPT, Step
from ui.operator_mode import LONG_PRESS_S
from ui.wiring import DEMO_OPERATOR

PASSWORD = "Kaoshi2024ok"


def jpeg(width, height, colour) -> bytes:
    """A JPEG of the policy's size at 300 dpi (central refuses attachments below the policy's density)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour[::-1]).save(out, "JPEG", quality=80, dpi=(300, 300))
    return out.getvalue()


PHOTO = FinalPhoto(jpeg(450, 600, (200, 140, 60)), 90, None, None)
DOCUMENT = DocumentImage(jpeg(800, 600, (230, 230, 230)), 90, "document.jpg", None)


def to_print(app, from_identity: bool = True) -> None:
    """The student's steps through the session's methods (the touch flow has its own test), then the print
    screen as the app shows it."""
    s, student = app.session, app.kiosk.demo.student
    if from_identity:
        s.confirm_identity()
    s.set_category(school_name=app.terminal_config.school_name)
    s.set_guardians(student.guardians)
    s.set_history(student.study_history)
    s.set_contact(student.contact_phone, student.home_address)
    s.photo_taken(PHOTO, [c.code for c in CONFIRMATIONS])
    if s.step is Step.DOCUMENT:
        s.document_scanned(DOCUMENT)
    s.confirm_review()
    assert s.set_password(PASSWORD, PASSWORD) is Step.PRINT, s.errors
    app.refresh()


def printed_record(d):
    app = d.app
    d.on("attract")
    d.wait(0.3)
    d.tap(d.screen.simulate_button)
    d.on("identity")
    to_print(app)
    d.on("done", timeout=30)
    record = app.session.record
    d.tap(d.screen.finish_button)
    d.on("attract")
    return record


def long_press(d, widget) -> None:
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    d.wait(LONG_PRESS_S + 0.3)
    touch.touch_up()
    d.frames(2)


def login_by_pin(d) -> None:
    app = d.app
    long_press(d, app.operator.corner)
    d.on("operator_login")
    d.until(lambda: not d.screen.login_button.disabled, 5, "the simulated badge")  # PIN asked: badge registered
    d.screenshot("operator-01-login")
    d.tap(d.screen.pin.input)
    for digit in "000000":
        d.tap(app.keyboard.keys[digit])
    d.tap(d.screen.login_button)
    assert app.sm.current == "operator_login" and "错误" in d.screen.message.text
    d.tap(d.screen.pin.input)
    assert app.keyboard.layout == "numeric"
    for digit in DEMO_OPERATOR[3]:
        d.tap(app.keyboard.keys[digit])
    d.tap(d.screen.login_button)
    d.on("operator")
    assert app.operator.operator.id == DEMO_OPERATOR[0]


def test_operator_mode_by_pin(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    store = app.kiosk.store
    record = printed_record(d)
    login_by_pin(d)
    home = d.screen
    assert [v.row.record_id for v in home.rows] == [str(record.record_id)]
    assert record.id_number not in home.rows[0].row.caption
    d.screenshot("operator-02-home")

    # reprint: counted
    d.tap(home.rows[0].reprint_button)
    d.until(lambda: "第2次" in home.general_error.text, 30, "the reprint")
    assert store.get(record.record_id).print_count == 2 and "已打印2次" in home.rows[0].row.caption

    # send back to draft: a reason first, then audited with it
    d.tap(home.rows[0].reopen_button)
    assert "原因" in home.reason.error and store.get(record.record_id).state is RecordState.PRINTED
    d.type(home.reason, "监护人电话有误")
    d.tap(home.rows[0].reopen_button)
    reopened = store.get(record.record_id)
    audit = store.audit_entries(record.record_id)[-1]
    assert reopened.state is RecordState.DRAFT and reopened.version == record.version + 1
    assert (audit.action, audit.actor, audit.details["reason"]) == ("revise", "operator:demo", "监护人电话有误")
    assert home.rows == []

    # pause: the attract screen says so and a card is refused
    d.tap(home.pause_button)
    assert app.session.paused and home.pause_button.text == "恢复服务"
    d.tap(home.logout_button)
    d.on("attract")
    assert d.screen.big_prompt.text == PAUSED_PROMPT
    d.screenshot("operator-03-paused")
    d.tap(d.screen.simulate_button)
    d.until(lambda: d.screen.status.text == PAUSED_PROMPT, 10, "the card on the reader")  # never 正在读卡
    d.wait(1.5)  # read, and refused: still the attract screen, still saying so
    assert app.sm.current == "attract" and app.session.record is None and d.screen.status.text == PAUSED_PROMPT
    login_by_pin(d)
    d.tap(d.screen.pause_button)
    assert not app.session.paused
    d.tap(d.screen.logout_button)
    d.on("attract")
    assert d.screen.big_prompt.text == "请将身份证放在感应区"

    # the student fixes the form (the draft resumes) and it is printed again; the operator confirms the signature
    d.tap(d.screen.simulate_button)
    d.on("identity")
    to_print(app)
    d.on("done", timeout=30)
    d.tap(d.screen.finish_button)
    d.on("attract")
    login_by_pin(d)
    d.tap(d.screen.qr_button)  # the signed paper's QR on the document camera
    d.until(lambda: store.get(record.record_id).state is RecordState.SIGNED, 20, "the QR sign-off")
    assert "锁定" in d.screen.general_error.text and d.screen.rows == []

    # the summary and the terminal's state
    d.tap(d.screen.status_button)
    d.on("operator_status")
    values = d.screen.values
    assert (values["今日登记"], values["今日打印"], values["今日签字确认"]) == ("1", "1", "1")
    assert values["待上传"] == str(store.outbox_depth())
    assert values["打印机"].startswith("正常") and values["身份证读卡器"] == "正常（模拟设备）"
    d.screenshot("operator-04-status")
    d.tap(d.screen.back_button)
    d.tap(d.screen.logout_button)
    d.on("attract")
    assert app.sm.get_screen("operator").rows == []  # nothing of the operator's view stays behind

    # the signed student's card laid again: refused as signed
    d.tap(d.screen.simulate_button)
    d.on("refused")
    assert any("已签字确认" in r for r in app.session.refusal)


def test_operator_mode_times_out(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    d.on("attract")
    login_by_pin(d)
    app.operator.access.timeout = 0.5
    d.until(lambda: app.sm.current == "attract", 5, "the operator timeout")
    assert app.operator.operator is None and not app.session.operator_present


def on_pad(d, field, keys: str, layout: str) -> None:
    d.tap(field.input)
    board = d.app.keyboard
    assert board.layout == layout
    for key in keys:
        d.tap(board.keys[key])


def test_assisted_path_to_a_printed_operator_verified_form(kiosk_ui, tmp_path):
    d, app = kiosk_ui, kiosk_ui.app
    card = app.kiosk.demo.student.card  # the student has no card with her: the household register instead
    d.on("attract")
    login_by_pin(d)
    d.tap(d.screen.assist_button)
    d.on("operator_assist")
    screen = d.screen
    d.type(screen.fields["name"], card.name)
    d.tap(screen.genders["女" if card.gender == "男" else "男"])
    d.type(screen.fields["ethnicity"], card.ethnicity)
    on_pad(d, screen.fields["birth_date"], card.birth_date.strftime("%Y%m%d"), "date")
    assert screen.fields["birth_date"].text == card.birth_date.isoformat()  # the pad puts the dashes in
    d.type(screen.fields["id_number"], card.id_number[:-1] + ("1" if card.id_number[-1] != "1" else "2"))
    d.type(screen.fields["address"], card.address)
    d.tap(screen.scan_button)
    assert "校验位" in screen.fields["id_number"].error and screen.start_button.disabled  # checked before a scan
    d.type(screen.fields["id_number"], card.id_number)
    d.tap(screen.scan_button)
    assert screen.gender_error.text == "性别与身份证号码不一致" and not screen.fields["id_number"].error
    d.screenshot("operator-05-assist-errors")
    d.tap(screen.genders[card.gender])
    d.tap(screen.scan_button)
    d.until(lambda: not screen.start_button.disabled, 20, "the household register scan")
    d.screenshot("operator-06-assist-scanned")
    d.tap(screen.start_button)
    d.on("category")
    assert app.sm.get_screen("operator_assist").fields["name"].text == ""  # the operator's screens wiped
    record = app.session.record
    assert record.operator_verified == DEMO_OPERATOR[0] and record.card.card_type.value == "household_register"
    to_print(app, from_identity=False)
    d.on("done", timeout=30)
    pdf = max((tmp_path / "printed").glob("*.pdf"), key=lambda p: p.stat().st_mtime)
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "居民户口簿" in text and f"工作人员已核验，工号{DEMO_OPERATOR[0]}" in text
    d.tap(d.screen.finish_button)
    d.on("attract")
    login_by_pin(d)  # the signed paper handed in: picked from the list
    assert "无身份证" in d.screen.rows[0].row.caption
    d.tap(d.screen.rows[0].sign_button)
    assert app.kiosk.store.get(record.record_id).state is RecordState.SIGNED and d.screen.rows == []
    deadline = time.monotonic() + 20
    while app.kiosk.store.outbox_depth() and time.monotonic() < deadline:
        d.wait(0.1)
    assert app.kiosk.store.outbox_depth() == 0  # central took the operator-verified record
