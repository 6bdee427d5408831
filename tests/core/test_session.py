"""A scripted robot walks the registration session as the UI does, through the same methods."""
import datetime as dt
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from drivers.printer import FilePrinter

from kiosk.eligibility import RosterEntry, RosterTable as Roster, Terminal
from kiosk.errors import KioskError
from kiosk.policy import get_policy
from kiosk.record import Guardian, RecordState, StudyEntry, example_card, verify_password
from kiosk.document import DocumentImage
from kiosk.photo import CONFIRMATIONS, FinalPhoto, Problem
from kiosk.session import RegistrationSession, Step
from kiosk.store import Store

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2024, 3, 5, 10, 0, tzinfo=TZ)
def jpeg(width: int, height: int, colour) -> bytes:
    return cv2.imencode(".jpg", np.full((height, width, 3), colour, np.uint8))[1].tobytes()


JPEG_PHOTO = jpeg(450, 600, (200, 140, 60))
JPEG_DOC = jpeg(800, 600, (230, 230, 230))
ALL_CONFIRMED = [c.code for c in CONFIRMATIONS]


def final_photo(jpeg: bytes = JPEG_PHOTO, warnings=()) -> FinalPhoto:
    """What the photo step hands over (pixels and analysis are not read by the session)."""
    return FinalPhoto(jpeg, 90, None, None, list(warnings))


def document_image(jpeg: bytes = JPEG_DOC, warnings=()) -> DocumentImage:
    return DocumentImage(jpeg, 90, "document.jpg", None, list(warnings))



class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


@pytest.fixture
def make_session(tmp_path):
    clock = Clock()
    store = Store(tmp_path / "k.db", clock=clock)

    def make():
        return RegistrationSession(
            policy=get_policy("henan-2024"), terminal=Terminal("T-1", "school", school_code="4114030012"),
            store=store, roster=Roster({"41140320090315003X": RosterEntry("4114030012", "G41140320090315003X", 9)}),
            clock=clock)
    make.clock, make.store, make.tmp = clock, store, tmp_path
    return make


GUARDIANS = [Guardian(name="王建国", relation="父亲", phone="13803700001"),
             Guardian(name="李秀英", relation="母亲", phone="13903700002")]
HISTORY = [StudyEntry(start="2021-09", end="2024-03", school="商丘市第一初级中学", witness="赵老师"),
           StudyEntry(start="2015-09", end="2021-08", school="睢阳区文化路小学", witness="孙老师")]


def walk_to_review(session, photo: bytes = JPEG_PHOTO, document=None):
    assert session.card_read(example_card(), "grade9") is Step.IDENTITY
    assert session.confirm_identity() is Step.CATEGORY
    assert session.set_category(school_name="商丘市第一初级中学", claims=["allocation"]) is Step.GUARDIANS
    assert session.set_guardians(GUARDIANS) is Step.HISTORY
    assert session.set_history(HISTORY) is Step.CONTACT
    assert session.set_contact("13803700001", "河南省商丘市睢阳区文化路88号") is Step.PHOTO
    assert session.photo_taken(final_photo(photo), ALL_CONFIRMED) is Step.DOCUMENT
    document = document or document_image()
    assert session.document_scanned(document, session.face_match(document)) is Step.REVIEW


def test_full_registration(make_session):
    session = make_session()
    walk_to_review(session)
    assert session.confirm_review() is Step.PASSWORD
    assert session.set_password("Henan2024ok", "Henan2024oK") is Step.PASSWORD
    assert "不一致" in session.errors["password"]
    assert session.set_password("Henan2024ok", "Henan2024ok") is Step.PRINT
    stored = make_session.store.get(session.record.record_id)
    assert stored.state is RecordState.SUBMITTED and verify_password("Henan2024ok", stored.password_hash)
    assert stored.student_number == "G41140320090315003X"  # from the roster
    assert make_session.store.attachment(stored.record_id, "photo") == JPEG_PHOTO
    assert stored.document_sha256 == hashlib.sha256(JPEG_DOC).hexdigest()
    assert make_session.store.outbox_depth() == 1
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    assert "签字" in session.prompt
    assert session.record.state is RecordState.PRINTED and session.record.print_count == 1


def test_step_errors_keep_the_student_on_the_step(make_session):
    session = make_session()
    session.card_read(example_card(), "grade9")
    session.confirm_identity()
    session.set_category(school_name="商丘市第一初级中学", claims=["allocation"])
    bad = [Guardian(name="王建国", relation="父亲", phone="12345")]
    assert session.set_guardians(bad) is Step.GUARDIANS
    assert "手机号码" in session.errors["guardians[0].phone"]
    assert make_session.store.get(session.record.record_id).guardians == []  # nothing invalid was saved
    with pytest.raises(KioskError, match="操作顺序"):
        session.set_password("Henan2024ok", "Henan2024ok")


def test_a_crash_mid_entry_resumes_from_the_saved_draft(make_session):
    first = make_session()
    first.card_read(example_card(), "grade9")
    first.confirm_identity()
    first.set_category(school_name="商丘市第一初级中学")
    first.set_guardians(GUARDIANS)
    del first  # the process dies here
    again = make_session()
    again.card_read(example_card(), "grade9")
    assert again.record.guardians == GUARDIANS
    assert len(make_session.store.record_ids()) == 1


def test_idle_timeout_wipes_the_screen_not_the_draft(make_session):
    session = make_session()
    session.card_read(example_card(), "grade9")
    make_session.clock.now += dt.timedelta(seconds=60)
    session.tick()
    assert session.step is Step.IDENTITY
    make_session.clock.now += dt.timedelta(seconds=121)
    session.tick()
    assert session.step is Step.ATTRACT and session.card is None and session.record is None
    assert len(make_session.store.record_ids()) == 1


def test_refusal_shows_reasons(make_session):
    session = make_session()
    make_session.clock.now = dt.datetime(2024, 4, 2, 10, tzinfo=TZ)
    assert session.card_read(example_card(), "return_hukou") is Step.REFUSED
    assert any("指定报名点" in r for r in session.refusal)
    assert make_session.store.record_ids() == []


def test_review_can_go_back_and_a_submitted_record_reopens_as_new_version(make_session):
    session = make_session()
    walk_to_review(session)
    assert session.go_back_to(Step.CONTACT) is Step.CONTACT
    assert session.set_contact("13903700002", "河南省商丘市睢阳区文化路88号") is Step.REVIEW
    assert session.confirm_review() is Step.PASSWORD
    session.set_password("Henan2024ok", "Henan2024ok")
    submitted = session.record
    again = make_session()
    again.card_read(example_card(), "grade9")  # the student comes back before printing to change something
    assert again.record.state is RecordState.DRAFT and again.record.version == submitted.version + 1


def print_to_done(make_session, session):
    walk_to_review(session)
    session.confirm_review()
    session.set_password("Henan2024ok", "Henan2024ok")
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    return session.record


def test_photo_confirmations_and_operator_warnings_are_stored(make_session):
    session = make_session()
    walk_to_review(session)
    session.go_back_to(Step.PHOTO)
    recapture = Problem("recapture", "照片可能是翻拍的，请工作人员核对")
    assert session.photo_taken(final_photo(warnings=[recapture]), ALL_CONFIRMED[:2]) is Step.PHOTO
    assert "请确认" in session.errors["photo"]  # every question answered before the photo is used
    assert session.photo_taken(final_photo(warnings=[recapture]), ALL_CONFIRMED) is Step.REVIEW
    session.go_back_to(Step.DOCUMENT)
    mismatch = Problem("ocr_mismatch", "证件号码与芯片不一致")
    assert session.document_scanned(document_image(warnings=[mismatch])) is Step.REVIEW
    stored = make_session.store.get(session.record.record_id)
    assert stored.photo_confirmed == ALL_CONFIRMED
    assert [(n.source, n.code) for n in stored.operator_notes] == [("photo", "recapture"),
                                                                    ("document", "ocr_mismatch")]


def test_laying_the_card_again_after_printing_offers_a_reprint_not_a_reopen(make_session):
    session = make_session()
    printed = print_to_done(make_session, session)
    again = make_session()
    assert again.card_read(example_card(), "grade9") is Step.PRINTED
    assert again.prompt == "已打印，请将签字的登记表交给工作人员"
    stored = make_session.store.get(printed.record_id)
    assert stored.state is RecordState.PRINTED and stored.version == printed.version  # not silently reopened
    assert again.reprint() is Step.PRINT
    assert again.print_form(FilePrinter(make_session.tmp / "printed")) is Step.DONE
    assert again.record.print_count == 2
    signed = again.operator_sign("7")  # used to fail: 当前状态（填写中）不能执行此操作
    assert signed.state is RecordState.SIGNED
    assert make_session.store.audit_entries(printed.record_id)[-1].actor == "operator:7"


def test_only_an_operator_sends_a_printed_record_back_to_draft(make_session):
    session = make_session()
    printed = print_to_done(make_session, session)
    with pytest.raises(KioskError, match="工作人员"):
        make_session.store.apply(printed.record_id, "revise", "student")
    with pytest.raises(KioskError, match="原因"):
        session.operator_reopen("7", " ")
    assert session.operator_reopen("7", "监护人电话写错，收回旧表") is Step.IDENTITY
    assert session.record.state is RecordState.DRAFT and session.record.version == printed.version + 1
    entry = make_session.store.audit_entries(printed.record_id)[-1]
    assert (entry.action, entry.actor, entry.details["reason"]) == ("revise", "operator:7", "监护人电话写错，收回旧表")


def test_every_write_calls_on_saved_and_uses_the_injected_clock(make_session):
    saved = []
    session = make_session()
    session.on_saved = saved.append
    print_to_done(make_session, session)
    assert len(saved) >= 10 and saved[-1].state is RecordState.PRINTED
    stored = make_session.store.get(session.record.record_id)
    assert stored.created_at == START and stored.updated_at == START
    assert {e.at for e in make_session.store.audit_entries(stored.record_id)} == {START}


class FlakyPrinter(FilePrinter):
    """The first job is refused with a transient fault (the printer was waking up), then it prints."""

    def __init__(self, directory):
        super().__init__(directory)
        self.refusals = 1

    def submit(self, pdf, title):
        from kiosk.devices.printer import JobState, PrintJob, Retry

        if self.refusals:
            self.refusals -= 1
            return PrintJob(self.name, 0, JobState.ABORTED, ("waking-up",), "打印机正在准备，请稍候", "", Retry.NOW)
        return super().submit(pdf, title)


def test_a_transient_print_failure_is_retried_and_audited(make_session):
    session = make_session()
    walk_to_review(session)
    session.confirm_review()
    session.set_password("Henan2024ok", "Henan2024ok")
    assert session.print_form(FlakyPrinter(make_session.tmp / "printed")) is Step.DONE
    actions = [e.action for e in make_session.store.audit_entries(session.record.record_id)]
    assert actions[-2:] == ["print_failed", "print"]


def test_a_broken_seal_stops_the_flow_with_an_operator_message(make_session):
    session = make_session()
    walk_to_review(session)
    session.confirm_review()
    session.set_password("Henan2024ok", "Henan2024ok")
    store = make_session.store
    with store._tx() as db:  # a tampered photo: the sealed bytes no longer open
        db.execute("UPDATE attachments SET data = X'00112233445566778899aabbccddeeff00' WHERE kind='photo'")
    assert session.print_form(FilePrinter(make_session.tmp / "printed")) is Step.REFUSED
    assert "联系工作人员" in session.refusal[0] and session.record is None
    assert not (make_session.tmp / "printed").exists() or not list((make_session.tmp / "printed").glob("*.pdf"))


def test_a_broken_seal_on_review_stops_the_flow_not_an_empty_frame(make_session):
    session = make_session()
    walk_to_review(session)
    assert session.attachment("photo") == JPEG_PHOTO
    with make_session.store._tx() as db:
        db.execute("UPDATE attachments SET data = X'00112233445566778899aabbccddeeff00' WHERE kind='photo'")
    assert session.attachment("photo") is None and session.step is Step.REFUSED
    assert "联系工作人员" in session.refusal[0]


FACES = Path("/work/shared/faces")


@pytest.mark.skipif(not (FACES / "labels.json").exists(), reason="shared/faces is not on this machine")
def test_the_photo_is_matched_to_the_card_portrait_and_a_mismatch_is_an_operator_note(make_session):
    """A simulated card printed with a portrait, scanned askew: the same face leaves no note; another student's
    face leaves the match's warning for the staff, and the flow goes on (never a refusal)."""
    from drivers.scanner.simulated import draw_card, place_on_desk
    from kiosk.document import make_document
    from kiosk.photo import match_faces

    def head(name, top, bottom, left, right):  # a head-and-shoulders crop, as a card portrait or a live photo
        return cv2.imread(str(FACES / name))[top:bottom, left:right]

    portrait, friend = head("ot_idphoto.jpg", 176, 816, 721, 1213), head("hv_test0.jpg", 172, 823, 695, 1195)
    card = example_card()
    document = make_document(place_on_desk(draw_card(card, portrait=portrait)), card.id_number,
                             get_policy("henan-2024").document)
    matches = []
    session = make_session()
    session.face_matcher = lambda live, scanned: matches.append(match_faces(live, scanned)) or matches[-1]
    walk_to_review(session, photo=cv2.imencode(".jpg", portrait)[1].tobytes(), document=document)
    assert matches[-1].verdict == "same", matches[-1].distance
    assert not [n for n in session.record.operator_notes if n.code.startswith("face_")]

    assert session.go_back_to(Step.PHOTO) is Step.PHOTO  # a friend sits down for the photo
    assert session.photo_taken(final_photo(cv2.imencode(".jpg", friend)[1].tobytes()), ALL_CONFIRMED) is Step.REVIEW
    # the photo changed after the card was scanned: matched again at once, no stale "same" left (#11)
    assert matches[-1].verdict in ("different", "uncertain"), matches[-1].distance
    assert [n.code for n in session.record.operator_notes if n.code.startswith("face_")] == [matches[-1].warning.code]
    assert session.go_back_to(Step.DOCUMENT) is Step.DOCUMENT
    assert session.document_scanned(document, session.face_match(document)) is Step.REVIEW
    assert matches[-1].verdict in ("different", "uncertain"), matches[-1].distance
    note = next(n for n in session.record.operator_notes if n.code.startswith("face_"))
    assert note.message == matches[-1].warning.message and "工作人员" in note.message
    assert session.confirm_review() is Step.PASSWORD
    assert note in make_session.store.get(session.record.record_id).operator_notes  # saved for operator mode


def test_a_category_picked_on_screen_is_checked_again_and_refused_with_its_reasons(make_session):
    session = make_session()
    assert session.card_read(example_card(), "grade9") is Step.IDENTITY
    assert session.confirm_identity() is Step.CATEGORY
    assert session.set_category(category="grade8", school_name="商丘市第一初级中学") is Step.CATEGORY
    assert "八年级信息采集尚未开始" in session.errors["category"]
    assert session.set_category(category="return_hukou", school_name="商丘市第一初级中学") is Step.CATEGORY
    assert "教育行政部门指定报名点" in session.errors["category"]
    assert make_session.store.get(session.record.record_id).category == "grade9"  # nothing changed

    make_session.clock.now = dt.datetime(2024, 4, 9, 10, 0, tzinfo=TZ)  # the eighth-grade window is open
    assert session.set_category(category="grade8", school_name="商丘市第一初级中学") is Step.GUARDIANS, session.errors
    saved = make_session.store.get(session.record.record_id)
    assert saved.category == "grade8" and saved.school_code == "4114030012"


def test_a_record_central_would_reject_is_never_submitted(make_session):
    """The form, the kiosk's validation and central's push checks share one limit table (kiosk/record/limits.py):
    one character over is refused on the step where it was typed (before, the form took 60 and central 50, so the
    record was submitted and then rejected forever); exactly at the limit the record passes the push checks the
    session runs before submit, and is submitted."""
    from kiosk.record.limits import GUARDIAN_LIMITS, STRING_LIMITS

    session = make_session()
    walk_to_review(session)
    assert session.go_back_to(Step.CATEGORY) is Step.CATEGORY
    assert session.set_category(school_name="校" * (STRING_LIMITS["school_name"] + 1),
                                claims=["allocation"]) is Step.CATEGORY
    assert "school_name" in session.errors
    assert session.set_category(school_name="校" * STRING_LIMITS["school_name"], claims=["allocation"]) is Step.REVIEW
    assert session.go_back_to(Step.GUARDIANS) is Step.GUARDIANS
    over = [GUARDIANS[0].model_copy(update={"work_unit": "局" * (GUARDIAN_LIMITS["work_unit"] + 1)}), GUARDIANS[1]]
    assert session.set_guardians(over) is Step.GUARDIANS
    at = [GUARDIANS[0].model_copy(update={"work_unit": "局" * GUARDIAN_LIMITS["work_unit"]}), GUARDIANS[1]]
    assert session.set_guardians(at) is Step.REVIEW
    assert session.confirm_review() is Step.PASSWORD
    assert session.set_password("Kq7#mP2x", "Kq7#mP2x") is Step.PRINT
    assert make_session.store.get(session.record.record_id).state is RecordState.SUBMITTED
