"""The polling loop over a real pty: placed / read / removed, one read per placement, unplug and replug."""
import pytest

from drivers.idcard.poller import CardPoller
from kiosk.devices.card_reader import REPLACE_CARD, CardEventKind as K

from tests.support.idcard import SLACK


def events(poller, count):
    """The kinds of the next `count` events (polls that report nothing are skipped; bounded)."""
    seen = []
    for _ in range(200):
        if len(seen) == count:
            return seen
        if (event := poller.poll()) is not None:
            seen.append(event)
    raise AssertionError(f"only {len(seen)} events: {[e.kind for e in seen]}")


@pytest.fixture
def poller(sim):
    poller = CardPoller(str(sim.link), interval=0.02, slack=SLACK)
    yield poller
    poller.close()


def quiet(poller, polls=5):
    return [poller.poll() for _ in range(polls)] == [None] * polls


def test_placed_read_removed(poller, sim, resident):
    first = events(poller, 3)
    assert [e.kind for e in first] == [K.READER_READY, K.PLACED, K.READ]
    assert first[2].card == resident.identity
    assert quiet(poller)  # the card stays: it is not read again
    assert sim.requests.count("read") == 1
    sim.remove()
    assert [e.kind for e in events(poller, 1)] == [K.REMOVED]
    assert quiet(poller)
    sim.place()
    assert [e.kind for e in events(poller, 2)] == [K.PLACED, K.READ]
    assert sim.requests.count("read") == 2


def test_failed_read_waits_for_the_card_to_leave(poller, sim):
    sim.inject("status", 0x41, on="read")
    kinds = events(poller, 3)
    assert [e.kind for e in kinds] == [K.READER_READY, K.PLACED, K.FAILED]
    assert kinds[2].error.message == REPLACE_CARD
    assert quiet(poller) and sim.requests.count("read") == 1
    sim.remove()
    sim.place()
    sim.remove()
    assert [e.kind for e in events(poller, 1)] == [K.REMOVED]


def test_card_removed_mid_read_reports_failed_then_removed(poller, sim):
    sim.inject("remove_mid_read", on="read")
    assert [e.kind for e in events(poller, 4)] == [K.READER_READY, K.PLACED, K.FAILED, K.REMOVED]


@pytest.mark.parametrize("fault", ["truncated", "silence", "bad_checksum"])
def test_broken_read_answers_ask_the_student_to_lay_the_card_again(poller, sim, fault):
    sim.inject(fault, on="read")
    failed = events(poller, 3)[2]
    assert failed.kind is K.FAILED and failed.error.message == REPLACE_CARD


def test_survives_unplug_and_replug(poller, sim, resident):
    assert [e.kind for e in events(poller, 3)] == [K.READER_READY, K.PLACED, K.READ]
    sim.vanish()
    lost = events(poller, 1)[0]
    assert lost.kind is K.READER_LOST and lost.error.message
    assert quiet(poller)  # lost is reported once, not on every retry
    sim.come_back(warmup=0.0)
    back = events(poller, 3)
    assert [e.kind for e in back] == [K.READER_READY, K.PLACED, K.READ]
    assert back[2].card == resident.identity


def test_sam_fault_while_idle_is_reported_as_reader_lost(poller, sim):
    sim.remove()
    events(poller, 1)
    sim.inject("status", 0x60, on="find")
    lost = events(poller, 1)[0]
    assert lost.kind is K.READER_LOST and lost.error.code == 0x60
    assert events(poller, 1)[0].kind is K.READER_READY


def test_one_unanswered_poll_is_not_a_lost_reader(poller, sim, resident):
    """A late answer (a busy bridge, a loaded terminal) asks again on the open port; the card is still read."""
    sim.remove()
    assert events(poller, 1)[0].kind is K.READER_READY
    sim.inject("silence", on="find")
    assert quiet(poller, 3)
    sim.place()
    assert [e.kind for e in events(poller, 2)] == [K.PLACED, K.READ]


def test_a_reader_silent_poll_after_poll_is_lost(poller, sim):
    sim.remove()
    events(poller, 1)
    sim.inject("silence", on="find", times=poller.silence_misses)
    lost = events(poller, 1)[0]
    assert lost.kind is K.READER_LOST and "读卡器" in lost.error.message
    assert events(poller, 1)[0].kind is K.READER_READY


def test_reader_absent_from_the_start(tmp_path):
    poller = CardPoller(str(tmp_path / "nothing"), interval=0.01)
    lost = poller.poll()
    assert lost.kind is K.READER_LOST and "读卡器" in lost.error.message
    assert poller.poll() is None


def test_event_json_for_the_ui(poller, sim):
    sim.remove()
    events(poller, 1)
    sim.inject("status", 0x80, on="find")
    assert poller.poll() is None  # find failing is just "no card"
    sim.place()
    placed, read = events(poller, 2)
    assert read.as_json()["card"]["id_number"] == "411403200903151235"
    assert placed.as_json() == {"event": "placed"}


def test_sam_fault_during_a_read_is_a_reader_problem_not_the_students(poller, sim):
    sim.inject("status", 0x66, on="read")
    kinds = events(poller, 3)
    assert [e.kind for e in kinds] == [K.READER_READY, K.PLACED, K.READER_LOST]
    assert kinds[2].error.message == "读卡器故障，请联系工作人员"


def test_run_hands_events_to_the_ui_thread_and_logs_only_masked_ids(poller, sim, caplog):
    import logging
    import queue
    import threading

    from drivers.idcard.poller import run

    seen: queue.Queue = queue.Queue()
    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="drivers.idcard")
    worker = threading.Thread(target=run, args=(poller, seen.put, stop))
    worker.start()
    try:
        kinds = [seen.get(timeout=10).kind for _ in range(3)]
    finally:
        stop.set()
        worker.join(10)
    assert kinds == [K.READER_READY, K.PLACED, K.READ] and not worker.is_alive()
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "4114**********1235" in logged and "411403200903151235" not in logged and "李明轩" not in logged


def test_reader_that_halts_the_card_after_a_read(make_sim, resident):
    """Readers that halt a read card: find fails until it is laid again, so it is read once, then again."""
    sim = make_sim(resident, halt_after_read=True)
    poller = CardPoller(str(sim.link), interval=0.02, slack=SLACK)
    try:
        assert [e.kind for e in events(poller, 4)] == [K.READER_READY, K.PLACED, K.READ, K.REMOVED]
        assert quiet(poller) and sim.requests.count("read") == 1
        sim.remove()
        sim.place()
        assert [e.kind for e in events(poller, 2)] == [K.PLACED, K.READ]
    finally:
        poller.close()
