"""The health chart's series: every event in the window counted once, in the right bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ringsync.web.admin.chart import DAY, HOUR, bucket_size, chart_series

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
ACTIONS = st.sampled_from(["created", "updated", "failed", "skipped", "conflict"])
MOMENTS = st.datetimes(
    # hypothesis takes naive bounds and adds the time zone itself
    min_value=datetime(2026, 2, 1),
    max_value=datetime(2026, 3, 1, 12, 30),
    timezones=st.just(UTC),
)


@given(st.lists(st.tuples(MOMENTS, ACTIONS), max_size=60))
def test_every_event_in_the_window_is_counted_once(events: list[tuple[datetime, str]]) -> None:
    series = chart_series(events, NOW, HOUR, 24)
    start = series[0].start
    inside = [(at, action) for at, action in events if start <= at < start + 24 * HOUR]
    assert sum(b.synced for b in series) == sum(a in ("created", "updated") for _, a in inside)
    assert sum(b.failed for b in series) == sum(a == "failed" for _, a in inside)


@given(st.lists(st.tuples(MOMENTS, ACTIONS), max_size=30))
def test_buckets_are_whole_steps_ending_with_the_current_one(
    events: list[tuple[datetime, str]],
) -> None:
    series = chart_series(events, NOW, DAY, 14)
    assert len(series) == 14
    assert all(b.start.tzinfo is not None for b in series)
    assert all(later.start - earlier.start == DAY for earlier, later in pairwise(series))
    assert series[-1].start <= NOW < series[-1].start + DAY
    assert series[-1].start.hour == 0


def test_an_event_lands_in_its_hour() -> None:
    series = chart_series([(NOW - timedelta(minutes=31), "created")], NOW, HOUR, 24)
    assert [b.synced for b in series][-2:] == [1, 0]
    assert series[-2].start == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_events_after_now_or_before_the_window_are_left_out() -> None:
    events = [(NOW + HOUR, "created"), (NOW - 30 * HOUR, "failed")]
    series = chart_series(events, NOW, HOUR, 24)
    assert sum(b.synced + b.failed for b in series) == 0


def test_hours_for_recent_activity_days_for_older() -> None:
    assert bucket_size([], NOW) == HOUR
    assert bucket_size([(NOW - timedelta(hours=47), "created")], NOW) == HOUR
    assert bucket_size([(NOW - timedelta(days=3), "created")], NOW) == DAY
