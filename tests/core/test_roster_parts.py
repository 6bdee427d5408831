"""The pulled roster parts on the terminal, without a server: the return-to-hukou list in eligibility at a point,
and the password book's fingerprints."""
import datetime as dt
from zoneinfo import ZoneInfo

from kiosk.eligibility import NOT_ON_RETURN_LIST, RosterEntry, RosterTable, Terminal, check_eligibility
from kiosk.password_reuse import REUSED, PasswordBook
from kiosk.policy import get_policy
from kiosk.record import example_card
from kiosk.wire import TakenPassword, password_fingerprint, student_tag

AT = dt.datetime(2024, 4, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
POINT = Terminal("T-2", "point", county_code="411403")
CARD = example_card()


class Pulled(RosterTable):
    """The shape of kiosk.terminal.PulledConfig's return list."""

    def __init__(self, provided: bool, candidates: dict):
        super().__init__()
        self.provided, self.candidates = provided, candidates

    def return_candidate(self, id_number):
        return self.provided, self.candidates.get(id_number)


def test_a_point_checks_the_countys_return_list_only_when_the_county_provided_one():
    policy = get_policy("henan-2024")
    listed = Pulled(True, {CARD.id_number: RosterEntry("", "G" + CARD.id_number)})
    result = check_eligibility(CARD, policy, "return_hukou", POINT, AT, listed)
    assert result.allowed and result.roster_entry.student_number == "G" + CARD.id_number
    refused = check_eligibility(CARD, policy, "return_hukou", POINT, AT, Pulled(True, {}))
    assert refused.problems == [NOT_ON_RETURN_LIST]
    assert check_eligibility(CARD, policy, "return_hukou", POINT, AT, Pulled(False, {})).allowed  # as before
    assert check_eligibility(CARD, policy, "return_hukou", POINT, AT, RosterTable()).allowed  # no list at all


def test_the_password_book_refuses_other_students_fingerprints_only():
    key = bytes(range(32))
    mine, other = "41140320090315003X", "411403200903150011"
    book = PasswordBook(key, [TakenPassword(student=student_tag(key, other),
                                            fingerprint=password_fingerprint(key, "Shared2024x"))])
    assert book.check("Shared2024x", mine) == (REUSED, password_fingerprint(key, "Shared2024x"))
    assert book.check("Shared2024x", other)[0] is None  # its owner
    assert book.check("Mine2024xyz", mine)[0] is None
    assert password_fingerprint(bytes(32), "Shared2024x") != password_fingerprint(key, "Shared2024x")  # per school
    assert PasswordBook(None).check("Shared2024x", mine) == (None, "")  # no key pulled yet: central checks at push


def test_a_malformed_fingerprint_is_a_typed_rejection():
    from kiosk.record import RecordState, example_record
    from kiosk.wire import push_problem

    record = example_record().model_copy(update={"state": RecordState.SUBMITTED})
    assert push_problem(record.model_copy(update={"password_fingerprint": "a" * 64})) is None
    for bad in ("A" * 64, "a" * 63, "明" * 64):
        assert push_problem(record.model_copy(update={"password_fingerprint": bad})).code in ("malformed",
                                                                                             "field_too_long")
