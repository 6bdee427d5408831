"""Retry timing rules (pure functions): full jitter, Retry-After honoured, schedules spread."""
from __future__ import annotations

import email.utils
import random

from hypothesis import given, strategies as st

from kiosk.sync import backoff


@given(st.integers(0, 60), st.integers(0, 2**32))
def test_full_jitter_stays_within_the_exponential_cap(attempts, seed):
    delay = backoff.full_jitter(attempts, random.Random(seed))
    assert 0 <= delay <= min(backoff.CAP_S, backoff.BASE_S * 2 ** attempts)


@given(st.integers(0, 60), st.floats(0, 3600), st.integers(0, 2**32))
def test_never_sooner_than_retry_after(attempts, retry_after, seed):
    assert backoff.next_delay(attempts, retry_after, random.Random(seed)) >= retry_after


def test_retry_after_forms():
    assert backoff.retry_after("7") == 7
    assert backoff.retry_after(None) is None and backoff.retry_after("soon") is None
    date = email.utils.formatdate(1_000_060, usegmt=True)
    assert backoff.retry_after(date, now=1_000_000) == 60


def test_terminals_told_the_same_spread_out():
    delays = {round(backoff.next_delay(0, 10, random.Random(seed)), 3) for seed in range(50)}
    assert len(delays) > 40 and min(delays) >= 10
    periods = [backoff.spread(900, random.Random(seed)) for seed in range(50)]
    assert all(720 <= p <= 1080 for p in periods) and len(set(periods)) == 50
