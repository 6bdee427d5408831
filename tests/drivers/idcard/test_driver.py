"""The serial driver against the simulator over a real pty: every card type, every fault mode."""
import pytest

from drivers.idcard.reader import SamReader, wait_until_ready
from drivers.idcard.simulator import SimCard
from kiosk.devices.card_reader import (
    CALL_STAFF, PLACE_CARD, REPLACE_CARD, CardReadFailed, NoCard, ProtocolError, ReaderFault, ReaderTimeout,
    ReaderUnavailable,
)

from tests.support.idcard import SLACK


def test_every_card_type_reads_back_exactly(make_sim, card_file):
    card = SimCard.load(card_file)
    sim = make_sim(card)
    reader = SamReader.open(str(sim.link), slack=SLACK)
    try:
        assert reader.read_card() == card.identity
        assert reader.read_card().photo_wlt[:4] == b"WLf\0"
    finally:
        reader.close()


def test_sam_id_and_status(reader):
    reader.sam_status()
    reader.reset()
    assert reader.sam_id() == "05.01-20101118-0012345678-1234567890"


def test_fingerprint_read_carries_the_fingerprint(make_sim, resident):
    identity = resident.identity.__class__(**{**resident.identity.__dict__, "fingerprint": bytes(range(256)) * 2})
    sim = make_sim(SimCard(identity))
    reader = SamReader.open(str(sim.link), slack=SLACK)
    try:
        card = reader.read_card(fingerprint=True)
    finally:
        reader.close()
    assert card.fingerprint == identity.fingerprint and card.name == identity.name
    assert sim.requests[-1] == "read_fp"


def test_appended_address_present_and_absent(reader, sim, make_sim):
    reader.read_card()
    assert reader.read_appended_address() == "河南省商丘市梁园区平原路88号"
    other = make_sim(SimCard.load("tests/drivers/idcard/fixtures/resident_long_term.json"))
    second = SamReader.open(str(other.link), slack=SLACK)
    try:
        second.read_card()
        assert second.read_appended_address() is None
    finally:
        second.close()


def test_no_card_says_place_the_card(reader, sim):
    sim.remove()
    with pytest.raises(NoCard) as caught:
        reader.find()
    assert caught.value.message == PLACE_CARD


def test_read_without_select_fails(reader):
    reader.find()
    with pytest.raises(CardReadFailed):
        reader.read()


@pytest.mark.parametrize("fault", ["garbage", "bad_checksum"])
def test_find_recovers_from_garbage_and_a_bad_checksum(reader, sim, fault):
    sim.inject(fault, on="find")
    reader.find()
    assert sim.requests.count("find") == (2 if fault == "bad_checksum" else 1)


def test_garbage_before_a_read_answer_is_skipped(reader, sim, resident):
    sim.inject("garbage", on="read")
    assert reader.read_card() == resident.identity


def test_bad_checksum_on_read_is_a_protocol_error_not_a_resend(reader, sim):
    sim.inject("bad_checksum", on="read")
    with pytest.raises(ProtocolError) as caught:
        reader.read_card()
    assert caught.value.message == REPLACE_CARD and sim.requests.count("read") == 1


@pytest.mark.parametrize("fault", ["truncated", "silence"])
def test_truncated_or_missing_answers_time_out(reader, sim, fault):
    sim.inject(fault, on="select")
    reader.find()
    with pytest.raises(ReaderTimeout) as caught:
        reader.select()
    assert caught.value.message == CALL_STAFF
    reader.find()  # the link is usable again afterwards


@pytest.mark.parametrize("code", [0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66,
                                  0x80, 0x81, 0x91])
def test_each_status_code_reaches_the_app_as_its_typed_error(reader, sim, code):
    sim.inject("status", code, on="read")
    reader.find()
    reader.select()
    with pytest.raises((NoCard, CardReadFailed, ReaderFault)) as caught:
        reader.read()
    assert caught.value.code == code and caught.value.message


def test_card_removed_mid_read(reader, sim):
    sim.inject("remove_mid_read", on="read")
    with pytest.raises(CardReadFailed) as caught:
        reader.read_card()
    assert caught.value.message == REPLACE_CARD
    with pytest.raises(NoCard):
        reader.find()


def test_port_vanishing_is_reader_unavailable(reader, sim):
    reader.find()
    sim.vanish()
    with pytest.raises(ReaderUnavailable):
        reader.find()
    with pytest.raises(ReaderUnavailable):
        SamReader.open(str(sim.link))


def test_sam_warm_up_is_waited_for(make_sim, resident):
    sim = make_sim(resident, warmup=0.6)
    reader = SamReader.open(str(sim.link), slack=0.05)
    try:
        with pytest.raises(ReaderTimeout):
            reader.sam_status()
        wait_until_ready(reader, timeout=5)
        assert reader.read_card() == resident.identity
    finally:
        reader.close()


def test_set_baud_switches_both_ends(reader, sim, resident):
    reader.set_baud(38400)
    assert sim.baud == 38400 and reader.port.baudrate == 38400
    assert reader.read_card() == resident.identity


def test_wrong_baud_gets_no_answer(make_sim, resident):
    sim = make_sim(resident, baud=9600)
    reader = SamReader.open(str(sim.link), 115200, slack=0.05)
    try:
        with pytest.raises(ReaderTimeout):
            reader.sam_status()
    finally:
        reader.close()
