"""Operator mode's core (kiosk/operator.py) on a real store and the file printer: sign-off, reprint, send back to
draft, pause, the summary, the login timeout, and the assisted path for a student without an ID card."""
import datetime as dt
import subprocess

import numpy as np

import pytest

from drivers.badge.login import LoginState, OperatorLogin
from drivers.printer import FilePrinter
from kiosk.devices.badge import BadgeEvent, BadgeEventKind, Operator, hash_pin
from kiosk.errors import KioskError
from kiosk.operator import OperatorAccess, OperatorDesk, assisted_card
from kiosk.record import RecordState, example_card
from kiosk.session import PAUSED_PROMPT, Step

from .test_session import ALL_CONFIRMED, GUARDIANS, HISTORY, document_image, final_photo, make_session, walk_to_review  # noqa: F401

NUMBER = "41140320090315003X"


def printed(make_session):
    session = make_session()
    walk_to_review(session)
    session.confirm_review()
    session.set_password("Kaoshi2024ok", "Kaoshi2024ok")
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    return session.record


def desk_of(make_session, **kwargs):
    return OperatorDesk(make_session.store, clock=make_session.clock, state_dir=make_session.tmp, **kwargs)


def test_sign_off_locks_the_record_and_the_card_is_then_refused(make_session):
    record = printed(make_session)
    desk = desk_of(make_session)
    rows = desk.printed_unsigned()
    assert [r.record_id for r in rows] == [str(record.record_id)] and rows[0].id_tail.endswith("003X")
    assert NUMBER not in rows[0].caption  # masked on screen
    assert desk.sign(rows[0].record_id, "op7").state is RecordState.SIGNED
    stored = make_session.store.get(record.record_id)
    assert stored.locked and make_session.store.audit_entries(record.record_id)[-1].actor == "operator:op7"
    assert desk.printed_unsigned() == []
    again = make_session()
    assert again.card_read(example_card(), "grade9") is Step.REFUSED
    assert any("已签字确认" in r for r in again.refusal)


def test_reprint_is_counted_and_reopen_needs_a_reason(make_session):
    record = printed(make_session)
    desk = desk_of(make_session)
    outcome = desk.reprint(str(record.record_id), "op7", FilePrinter(make_session.tmp / "printed"))
    assert outcome.ok and outcome.record.print_count == 2
    with pytest.raises(KioskError, match="原因"):
        desk.reopen(str(record.record_id), "op7", "  ")
    reopened = desk.reopen(str(record.record_id), "op7", "监护人电话有误")
    assert reopened.state is RecordState.DRAFT and reopened.version == record.version + 1
    audit = make_session.store.audit_entries(record.record_id)[-1]
    assert (audit.action, audit.actor, audit.details["reason"]) == ("revise", "operator:op7", "监护人电话有误")


def test_pause_refuses_cards_and_is_kept(make_session):
    desk = desk_of(make_session)
    session = make_session()
    desk.set_paused(True, "op7")
    assert desk_of(make_session).paused  # kept across a restart
    session.paused = desk.paused
    assert session.prompt == PAUSED_PROMPT and not session.accepts_card
    desk.set_paused(False, "op7")
    assert not desk.paused
    assert [e.action for e in make_session.store.audit_entries("terminal")] == ["pause", "resume"]


def test_summary_counts_today(make_session):
    record = printed(make_session)
    desk = desk_of(make_session)
    desk.sign(str(record.record_id), "op7")
    summary = desk.summary()
    assert (summary.registered, summary.printed, summary.signed) == (1, 1, 1)
    assert summary.waiting_sync == make_session.store.outbox_depth() > 0
    assert summary.day == make_session.clock().date()
    assert desk.summary(summary.day - dt.timedelta(days=1)).registered == 0


def test_login_times_out():
    pin = "246813"
    operator = Operator("op7", "张老师", "04A1B2C3", hash_pin(pin))

    class Registry:
        def by_badge(self, uid):
            return operator if uid == operator.badge_uid else None

    now = [0.0]
    access = OperatorAccess(OperatorLogin(Registry()), timeout=60, monotonic=lambda: now[0])
    access.event(BadgeEvent(BadgeEventKind.INSERTED, "r", uid="04A1B2C3"))
    assert access.state is LoginState.NEED_PIN and not access.enter_pin("000000")
    assert access.enter_pin(pin) and access.operator.id == "op7"
    now[0] = 59
    assert not access.tick() and access.operator is not None
    now[0] = 121
    assert access.tick() and access.operator is None and access.state is LoginState.NO_BADGE


def test_assisted_card_checks_the_typed_identity():
    today = dt.date(2024, 3, 5)
    fields = dict(name="张小明", gender="男", ethnicity="汉", birth_date="2009-03-15", id_number=NUMBER.lower(),
                  address="河南省商丘市睢阳区文化路88号", today=today)
    card, errors = assisted_card(**fields)
    assert errors == {} and card.card_type.value == "household_register" and card.id_number == NUMBER
    assert card.ethnicity == "汉族" and card.problems(today) == []
    _, errors = assisted_card(**{**fields, "id_number": NUMBER[:-1] + "1", "gender": "女", "ethnicity": "火星"})
    assert set(errors) == {"id_number", "ethnicity"}
    _, errors = assisted_card(**{**fields, "gender": "女", "birth_date": "2009-03-16", "name": " "})
    assert set(errors) == {"gender", "birth_date", "name"}


def test_assisted_path_marks_the_record_and_the_form(make_session):
    session = make_session()
    card, _ = assisted_card(name="张小明", gender="男", ethnicity="汉族", birth_date="2009-03-15", id_number=NUMBER,
                            address="河南省商丘市睢阳区文化路88号", today=make_session.clock().date())
    with pytest.raises(KioskError):
        session.assisted_start("", card, document_image(), "grade9")
    assert session.assisted_start("op7", card, document_image(), "grade9") is Step.CATEGORY
    assert session.record.operator_verified == "op7" and session.record.document_sha256
    assert session.set_category(school_name="商丘市第一初级中学") is Step.GUARDIANS
    session.set_guardians(GUARDIANS)
    session.set_history(HISTORY)
    session.set_contact("13803700001", "河南省商丘市睢阳区文化路88号")
    assert session.photo_taken(final_photo(), ALL_CONFIRMED) is Step.REVIEW  # the page was scanned already
    assert session.confirm_review() is Step.PASSWORD
    session.set_password("Kaoshi2024ok", "Kaoshi2024ok")
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    actions = [e.action for e in make_session.store.audit_entries(session.record.record_id)]
    assert "verify_identity" in actions
    pdf = sorted((make_session.tmp / "printed").glob("*.pdf"))[-1]
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "居民户口簿" in text and "工作人员已核验" in text and "op7" in text


def test_the_signed_forms_qr_finds_its_record(make_session):
    from drivers.scanner.simulated import SimulatedDocumentCamera
    from kiosk.operator import read_qr

    record = printed(make_session)
    desk = desk_of(make_session)
    camera = SimulatedDocumentCamera()
    camera.lay_form(sorted((make_session.tmp / "printed").glob("*.pdf"))[-1].read_bytes())
    text = read_qr(camera.scan())
    assert desk.record_for_qr(text) == str(record.record_id)
    with pytest.raises(KioskError, match="签名无效"):
        desk.record_for_qr(text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB"))
    desk.reopen(str(record.record_id), "op7", "重填")
    with pytest.raises(KioskError, match="最新版本"):
        desk.record_for_qr(text)  # the old paper after a send-back
    with pytest.raises(KioskError, match="二维码"):
        read_qr(np.full((400, 400, 3), 255, np.uint8))


def corrected(make_session, correction_id=5, phone="13912345678"):
    """The printed record signed by the operator, then an authority's correction from central (kiosk.corrections)
    whose from_version is `moved` off the record's version when given; returns (record, ack)."""
    from kiosk.corrections import apply_correction
    from kiosk.record import transition
    from kiosk.wire import Correction

    record = printed(make_session)
    signed = desk_of(make_session).sign(str(record.record_id), "op7")
    at = make_session.clock()
    details = {"approver": "county", "changes": {"contact_phone": phone}, "correction_id": correction_id,
               "approved_at": at.isoformat()}
    new, _ = transition(signed, "correct", "central", at, **details)
    correction = Correction(correction_id=correction_id, record_id=signed.record_id, from_version=signed.version,
                            version=signed.version + 1, changes={"contact_phone": phone},
                            content_hash=new.content_hash(), approver="county", approved_at=at)
    return signed, correction, lambda **changes: apply_correction(
        make_session.store, correction.model_copy(update=changes))


def test_a_refused_correction_is_among_the_operators_problems(make_session):
    """#12 item 6: a correction the terminal refused was only logged; the operator now reads it (ID tail only)."""
    record, correction, apply = corrected(make_session)
    for _ in range(2):  # refused again at the next round (its acknowledgement not taken yet): one entry
        assert apply(from_version=record.version + 1, version=record.version + 2).code == "version_moved"
    entries = [e for e in make_session.store.audit_entries(record.record_id) if e.action == "correction_refused"]
    assert len(entries) == 1 and entries[0].details == {"correction_id": 5, "code": "version_moved"}
    desk = desk_of(make_session)
    problems = [p for p in desk.summary().problems if "更正" in p]
    assert problems == ["4114**********003X：中心下发的更正未能应用（本终端的记录已有其他新版本，不能应用此更正），"
                        "请联系上级教育行政部门重新下发或撤回"]
    assert record.name not in problems[0] and NUMBER not in problems[0]
    assert apply().outcome == "applied"  # re-sent by the authority: applied, no longer a problem
    assert not [p for p in desk.summary().problems if "更正" in p]


def test_after_a_corrected_reprint_the_operator_confirms_the_paper_without_a_refusal(make_session):
    """#12 item 6: the corrected form reprinted leaves the session at DONE on a signed record; the operator's sign
    (the session's or the desk's, by the new form's QR) was refused as already signed. Now it confirms the paper."""
    record, correction, apply = corrected(make_session)
    assert apply().outcome == "applied"
    session = make_session()
    assert session.card_read(example_card(), "grade9") is Step.PRINTED
    assert session.reprint() is Step.PRINT
    assert session.print_form(FilePrinter(make_session.tmp / "reprinted")) is Step.DONE
    assert "签字后" not in session.prompt or "更正" in session.prompt  # not the first print's "sign, then hand in"
    from kiosk.corrections import awaiting_hand_in
    from kiosk.session import CORRECTED_PROMPT

    assert session.already_signed and session.prompt == CORRECTED_PROMPT
    stored = make_session.store.get(record.record_id)
    assert awaiting_hand_in(make_session.store, stored)

    desk = desk_of(make_session)
    qr = session.print_outcome.form.payload.text()  # the new paper's QR (its camera reading: test_the_signed_forms_qr)
    rid = desk.record_for_qr(qr)  # taken, not "该登记表当前不是待签字状态"
    assert desk.sign(rid, "op8").state is RecordState.SIGNED
    last = make_session.store.audit_entries(record.record_id)[-1]
    assert (last.action, last.actor, last.version) == ("receive_paper", "operator:op8", record.version + 1)
    assert not awaiting_hand_in(make_session.store, make_session.store.get(rid))
    # the session's own sign-off at DONE: no refusal either, and nothing audited twice
    assert session.operator_sign("op8").state is RecordState.SIGNED
    assert [e.action for e in make_session.store.audit_entries(rid)].count("receive_paper") == 1


def test_the_purge_keeps_a_corrected_record_until_its_reprint(make_session):
    """#12 item 6: a corrected, confirmed record past retention was purged before its new form was printed."""
    record, correction, apply = corrected(make_session)
    store = make_session.store
    assert apply().outcome == "applied"
    now = make_session.clock()
    for item in store.outbox_due(now + dt.timedelta(days=1)):
        store.outbox_done(item.seq, item.record_id, item.version, now)
    later = now + dt.timedelta(days=31)
    assert store.purge_confirmed(dt.timedelta(days=30), later) == 0  # the corrected form is still to be printed
    session = make_session()
    assert session.card_read(example_card(), "grade9") is Step.PRINTED  # ... so the reprint is still offered
    session.reprint()
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    for item in store.outbox_due(now + dt.timedelta(days=1)):
        store.outbox_done(item.seq, item.record_id, item.version, now)
    assert store.purge_confirmed(dt.timedelta(days=30), later) == 1  # reprinted: purged as before
