"""A scripted robot walks the registration session as the UI does, through the same methods."""
import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest

from kiosk.eligibility import RosterEntry, RosterTable as Roster, Terminal
from kiosk.errors import KioskError
from kiosk.policy import get_policy
from kiosk.record import Guardian, RecordState, StudyEntry, example_card, verify_password
from kiosk.session import RegistrationSession, Step
from kiosk.store import Store

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2024, 3, 5, 10, 0, tzinfo=TZ)
JPEG_PHOTO = b"\xff\xd8\xff\xe0photo-bytes"
JPEG_DOC = b"\xff\xd8\xff\xe0document-bytes"



class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


@pytest.fixture
def make_session(tmp_path):
    clock = Clock()
    store = Store(tmp_path / "k.db")

    def make():
        return RegistrationSession(
            policy=get_policy("henan-2024"), terminal=Terminal("T-1", "school", school_code="4114030012"),
            store=store, roster=Roster({"41140320090315003X": RosterEntry("4114030012", "G41140320090315003X", 9)}),
            clock=clock)
    make.clock, make.store = clock, store
    return make


GUARDIANS = [Guardian(name="王建国", relation="父亲", phone="13803700001"),
             Guardian(name="李秀英", relation="母亲", phone="13903700002")]
HISTORY = [StudyEntry(start="2021-09", end="2024-03", school="商丘市第一初级中学", witness="赵老师"),
           StudyEntry(start="2015-09", end="2021-08", school="睢阳区文化路小学", witness="孙老师")]


def walk_to_review(session):
    assert session.card_read(example_card(), "grade9") is Step.IDENTITY
    assert session.confirm_identity() is Step.CATEGORY
    assert session.set_category(school_name="商丘市第一初级中学", claims=["allocation"]) is Step.GUARDIANS
    assert session.set_guardians(GUARDIANS) is Step.HISTORY
    assert session.set_history(HISTORY) is Step.CONTACT
    assert session.set_contact("13803700001", "河南省商丘市睢阳区文化路88号") is Step.PHOTO
    assert session.photo_taken(JPEG_PHOTO) is Step.DOCUMENT
    assert session.document_scanned(JPEG_DOC) is Step.REVIEW


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
    make_session.store.apply(stored.record_id, "print", "system")
    assert session.printed(ok=True) is Step.DONE
    assert "签字" in session.prompt


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
