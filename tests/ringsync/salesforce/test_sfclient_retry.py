"""Retry timing: full jitter, capped, bounded by attempts and by total time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.salesforce.retry import RetryPolicy


def test_seeded_policy_repeats_its_delays() -> None:
    first = [RetryPolicy.seeded(7).delay(n) for n in range(5)]
    second = [RetryPolicy.seeded(7).delay(n) for n in range(5)]
    assert first == second


def test_delays_follow_full_jitter_formula() -> None:
    policy = RetryPolicy.seeded(3, base_delay=1.0, max_delay=10.0)
    rng = random.Random(3)
    for attempt in range(6):
        expected = rng.uniform(0, min(10.0, 1.0 * 2**attempt))
        assert policy.delay(attempt) == expected


def test_ceiling_doubles_then_caps() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.ceiling(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.ceiling(10_000) == 4.0


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=2**32))
def test_delay_never_exceeds_its_ceiling(attempt: int, seed: int) -> None:
    policy = RetryPolicy.seeded(seed, base_delay=0.25, max_delay=30.0)
    delay = policy.delay(attempt)
    assert 0.0 <= delay <= policy.ceiling(attempt) <= 30.0


def test_allows_stops_at_max_attempts_and_total_time() -> None:
    policy = RetryPolicy(max_attempts=3, total_time=10.0)
    assert policy.allows(1, elapsed=0.0, next_delay=1.0)
    assert policy.allows(2, elapsed=0.0, next_delay=1.0)
    assert not policy.allows(3, elapsed=0.0, next_delay=1.0)
    assert not policy.allows(1, elapsed=9.5, next_delay=1.0)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(base_delay=-1)


def test_no_retry_policy_tries_once() -> None:
    assert not RetryPolicy.no_retry().allows(1, 0.0, 0.0)
