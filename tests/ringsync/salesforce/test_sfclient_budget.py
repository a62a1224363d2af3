"""The API budget: header parsing, our rolling 24-hour count, pausing and resuming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ringsync.clock import FrozenClock
from ringsync.salesforce.budget import ApiBudget, LimitInfo, MemoryUsageStore, parse_limit_info

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=25/15000", LimitInfo(25, 15000)),
        ("api-usage=18/5000; api-bursts=1/2", LimitInfo(18, 5000)),
        (
            "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-app)",
            LimitInfo(25, 5000, 17, 250, "sample-app"),
        ),
        ("per-app-api-usage=17/250(appName=x)", None),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_parse_limit_info(header: str | None, expected: LimitInfo | None) -> None:
    assert parse_limit_info(header) == expected


def test_our_calls_reaching_the_share_pause_background_work() -> None:
    clock = FrozenClock(START)
    budget = ApiBudget(clock, share=0.25)
    budget.observe("api-usage=10/40")  # our share of 40 = 10 calls
    for _ in range(9):
        budget.record_call()
    assert not budget.should_pause_background()
    budget.record_call()
    snap = budget.snapshot()
    assert snap.paused
    assert snap.our_calls == 10
    assert snap.our_limit == 10
    assert snap.reason is not None
    assert "share" in snap.reason
    # The first call leaves the window 24 h after its minute ends.
    assert snap.resume_at == START + timedelta(minutes=1) + timedelta(hours=24)


def test_paused_budget_resumes_as_the_window_slides() -> None:
    clock = FrozenClock(START)
    budget = ApiBudget(clock, share=0.5)
    budget.observe("api-usage=0/20")
    for _ in range(5):
        budget.record_call()
    clock.advance(timedelta(hours=1))
    for _ in range(5):
        budget.record_call()
    assert budget.should_pause_background()
    clock.set(START + timedelta(hours=24, minutes=1))
    snap = budget.snapshot()
    assert snap.our_calls == 5
    assert not snap.paused


def test_org_near_its_limit_pauses_then_rechecks() -> None:
    clock = FrozenClock(START)
    budget = ApiBudget(clock, share=1.0, org_ceiling=0.9, recheck_after=timedelta(minutes=10))
    budget.observe("api-usage=950/1000")
    snap = budget.snapshot()
    assert snap.paused
    assert snap.org_used == 950
    assert snap.resume_at == START + timedelta(minutes=10)
    clock.advance(timedelta(minutes=10))
    assert not budget.should_pause_background()  # stale reading: let one call probe
    budget.observe("api-usage=100/1000")
    assert not budget.should_pause_background()


def test_request_limit_exceeded_pauses_until_recheck_or_lower_usage() -> None:
    clock = FrozenClock(START)
    budget = ApiBudget(clock, recheck_after=timedelta(minutes=15))
    budget.note_limit_exceeded()
    snap = budget.snapshot()
    assert snap.paused
    assert snap.resume_at == START + timedelta(minutes=15)
    budget.observe("api-usage=10/1000")
    assert not budget.should_pause_background()


def test_counters_survive_a_restart_through_the_store() -> None:
    clock = FrozenClock(START)
    store = MemoryUsageStore()
    budget = ApiBudget(clock, store=store)
    for _ in range(3):
        budget.record_call()
    clock.advance(timedelta(minutes=2))
    budget.record_call()
    budget.save()
    assert store.buckets == [(START, 3), (START + timedelta(minutes=2), 1)]
    again = ApiBudget(clock, store=store)
    assert again.snapshot().our_calls == 4


def test_snapshot_carries_the_per_app_usage() -> None:
    budget = ApiBudget(FrozenClock(START))
    budget.observe("api-usage=25/5000; per-app-api-usage=17/250(appName=ringsync)")
    snap = budget.snapshot()
    assert (snap.org_used, snap.org_max, snap.app_used, snap.app_max) == (25, 5000, 17, 250)


def test_unknown_org_max_never_pauses_on_share() -> None:
    budget = ApiBudget(FrozenClock(START))
    for _ in range(100):
        budget.record_call()
    snap = budget.snapshot()
    assert snap.org_max is None
    assert not snap.paused


def test_bad_share_is_refused() -> None:
    with pytest.raises(ValueError, match="share"):
        ApiBudget(FrozenClock(START), share=0)
