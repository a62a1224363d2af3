"""The per-account back-off: doubling waits up to a cap, one warning per new error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.runtime.backoff import AccountBackoff

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CAP = timedelta(seconds=300)


@given(
    failures=st.integers(min_value=1, max_value=200),
    first=st.integers(min_value=1, max_value=600),
)
def test_the_wait_doubles_never_shrinks_and_never_passes_the_poll_interval(
    failures: int, first: int
) -> None:
    backoff = AccountBackoff(first=timedelta(seconds=first))
    waits = []
    for _ in range(failures):
        backoff.failed(1, "sync_inbound", "down", AT)
        waits.append(backoff.delay(1, "sync_inbound", CAP))

    assert waits == sorted(waits)
    assert all(timedelta(0) < w <= CAP for w in waits)
    assert waits[0] == min(timedelta(seconds=first), CAP)


def test_only_a_changed_error_is_worth_a_warning() -> None:
    backoff = AccountBackoff()

    told = [
        backoff.failed(1, "sync_inbound", error, AT)
        for error in ("no connection", "no connection", "bad keys", "bad keys")
    ]

    assert told == [True, False, True, False]
    assert backoff.failed(1, "sync_outbound", "bad keys", AT) is True
    assert backoff.failed(2, "sync_inbound", "bad keys", AT) is True


def test_success_forgets_the_failures_and_reports_the_recovery_once() -> None:
    backoff = AccountBackoff()
    backoff.failed(1, "sync_inbound", "no connection", AT)

    assert backoff.succeeded(1, "sync_inbound") is True
    assert backoff.succeeded(1, "sync_inbound") is False
    assert not backoff.waiting(1, "sync_inbound", AT, CAP)
    assert backoff.failed(1, "sync_inbound", "no connection", AT) is True


def test_a_first_wait_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        AccountBackoff(first=timedelta(0))
