"""Admission by queueing delay (issue #10): a burst is absorbed, a standing queue above the target sheds new
pushes, and admission resumes as soon as a short wait is seen or nothing is left in the queue."""
from __future__ import annotations

from central.security import QueueDelayAdmission


def test_burst_is_absorbed_standing_queue_is_shed():
    gate = QueueDelayAdmission(target_s=0.25, interval_s=0.5)
    t = 100.0
    gate.observe(0.01, t)  # a burst: the first of it waited little
    for i in range(1, 10):
        gate.observe(0.4, t + i * 0.04)
    assert gate.admit(t + 0.45)  # the window still saw a short wait
    for i in range(12):  # a whole window in which every push waited > 250 ms
        gate.observe(0.3 + i * 0.01, t + 0.5 + i * 0.04)
    gate.observe(0.5, t + 1.01)  # the window closes: its minimum was above the target
    assert not gate.admit(t + 1.02)
    gate.observe(0.05, t + 1.1)  # the queue drained
    assert gate.admit(t + 1.11)


def test_shedding_ends_when_nothing_is_observed():
    gate = QueueDelayAdmission(target_s=0.25, interval_s=0.5)
    gate.observe(0.3, 10.0)
    gate.observe(0.3, 10.6)
    assert not gate.admit(10.7)
    assert gate.admit(12.0)  # no push started work for a whole interval: the queue is gone


def test_a_shedding_server_answers_503_before_reading_the_push(server, make_kiosk):
    import time

    kiosk = make_kiosk(server)
    kiosk.new_record()
    server.central.admission.shedding = True
    server.central.admission._window_end = time.monotonic() + 3600
    assert kiosk.worker.drain() == 0 and "503" in kiosk.worker.status().last_error
    assert kiosk.store.outbox_depth() == 1  # kept, retried after the Retry-After
