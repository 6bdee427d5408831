import datetime as dt
from zoneinfo import ZoneInfo

from kiosk.eligibility import RosterEntry, RosterTable as Roster, Terminal, check_eligibility
from kiosk.identity import IdentityCard
from kiosk.policy import get_policy
from kiosk.record import example_card, example_record
from kiosk.store import Store

TZ = ZoneInfo("Asia/Shanghai")
POLICY = get_policy("henan-2024")
IN_GRADE9 = dt.datetime(2024, 3, 5, 10, tzinfo=TZ)
SCHOOL = Terminal("T-1", "school", school_code="4114030012")
POINT = Terminal("T-2", "point", county_code="411403")



ROSTER = Roster({"41140320090315003X": RosterEntry("4114030012", "G41140320090315003X", 9)})


def test_own_student_in_window_is_allowed():
    result = check_eligibility(example_card(), POLICY, "grade9", SCHOOL, IN_GRADE9, ROSTER)
    assert result.allowed and result.roster_entry.student_number == "G41140320090315003X"


def test_school_terminal_refuses_other_schools_students():
    other = Terminal("T-3", "school", school_code="4114030099")
    result = check_eligibility(example_card(), POLICY, "grade9", other, IN_GRADE9, ROSTER)
    assert not result.allowed and "学籍在本校" in result.problems[0]
    assert not check_eligibility(example_card(), POLICY, "grade9", SCHOOL, IN_GRADE9, Roster()).allowed


def test_return_hukou_only_at_points_and_in_its_window():
    at = dt.datetime(2024, 4, 2, 10, tzinfo=TZ)
    assert check_eligibility(example_card(), POLICY, "return_hukou", POINT, at).allowed
    refused = check_eligibility(example_card(), POLICY, "return_hukou", SCHOOL, at, ROSTER)
    assert "指定报名点" in refused.problems[0]
    early = check_eligibility(example_card(), POLICY, "return_hukou", POINT, IN_GRADE9)
    assert "尚未开始" in early.problems[0]


def test_expired_card_is_refused():
    card = IdentityCard(**{**example_card().__dict__, "valid_until": dt.date(2024, 3, 1)})
    result = check_eligibility(card, POLICY, "grade9", SCHOOL, IN_GRADE9, ROSTER)
    assert not result.allowed and "过期" in result.problems[0]


def test_signed_record_cannot_be_collected_again(tmp_path):
    store = Store(tmp_path / "k.db")
    record = example_record(IN_GRADE9.date())
    store.save(record)
    assert check_eligibility(example_card(), POLICY, "grade9", SCHOOL, IN_GRADE9, ROSTER, store).allowed
    for action in ("submit", "print", "sign"):
        store.apply(record.record_id, action, "operator:1")
    result = check_eligibility(example_card(), POLICY, "grade9", SCHOOL, IN_GRADE9, ROSTER, store)
    assert not result.allowed and "已签字确认" in result.problems[-1]
