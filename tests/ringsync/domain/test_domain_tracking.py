from datetime import UTC, date, datetime, timedelta, timezone
from functools import reduce
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringsync.domain.tracking import (
    TRACKING_FIELDS,
    ActivityDirection,
    ActivityEvent,
    ActivityKind,
    TrackingStats,
    apply,
    recompute,
)
from ringsync.mapping.catalog import TRACKING_PROPERTIES

PDT = timezone(timedelta(hours=-7))
IST = timezone(timedelta(hours=5, minutes=30))
CALL, SMS = ActivityKind.CALL, ActivityKind.SMS
IN, OUT = ActivityDirection.INBOUND, ActivityDirection.OUTBOUND


def event(
    ext: str, kind: ActivityKind, direction: ActivityDirection, when: datetime, **kw: Any
) -> ActivityEvent:
    return ActivityEvent(ext, kind, direction, when, **kw)


def test_the_names_match_the_shared_field_table() -> None:
    assert set(TRACKING_FIELDS) == set(TRACKING_PROPERTIES)
    assert len(TRACKING_FIELDS) == 20


def test_inbound_call_sets_date_time_disposition_and_engagement() -> None:
    when = datetime(2026, 3, 1, 23, 30, 5, tzinfo=PDT)  # already March 2 in UTC
    stats, changed = apply(TrackingStats(), event("c1", CALL, IN, when, disposition="Interested"))
    assert stats.total_inbound_calls == 1
    assert stats.last_inbound_call_date == date(2026, 3, 1)  # the date at the caller's offset
    assert stats.last_inbound_call_time == when
    assert stats.last_inbound_call_time is not None
    assert stats.last_inbound_call_time.utcoffset() == timedelta(hours=-7)
    assert stats.last_engagement_at == datetime(2026, 3, 2, 6, 30, 5, tzinfo=UTC)
    assert stats.last_engagement_at.tzinfo is UTC
    assert stats.last_inbound_engagement_at == stats.last_engagement_at
    assert stats.last_call_disposition == "Interested"
    assert stats.last_inbound_call_disposition == "Interested"
    assert stats.last_outbound_call_disposition is None
    assert changed == (
        "last_inbound_call_date",
        "total_inbound_calls",
        "last_inbound_call_time",
        "last_call_disposition",
        "last_inbound_call_disposition",
        "last_engagement_at",
        "last_inbound_engagement_at",
    )


def test_outbound_text_sets_text_fields() -> None:
    when = datetime(2026, 3, 1, 8, 33, 16, tzinfo=IST)
    stats, changed = apply(TrackingStats(), event("s1", SMS, OUT, when, body="See you at 5"))
    assert stats.total_outbound_texts == 1
    assert stats.last_outbound_text == "See you at 5"
    assert stats.last_outbound_text_date == date(2026, 3, 1)
    assert stats.last_outbound_message_time == when
    assert stats.last_outbound_engagement_at == when.astimezone(UTC)
    assert set(changed) == {
        "total_outbound_texts",
        "last_outbound_text",
        "last_outbound_text_date",
        "last_outbound_message_time",
        "last_engagement_at",
        "last_outbound_engagement_at",
    }


def test_an_older_event_counts_but_does_not_overwrite_newer_last_values() -> None:
    newer = event("n", SMS, IN, datetime(2026, 3, 2, 9, tzinfo=PDT), body="newer")
    older = event("o", SMS, IN, datetime(2026, 3, 1, 9, tzinfo=PDT), body="older")
    stats, _ = apply(TrackingStats(), newer)
    stats, changed = apply(stats, older)
    assert stats.total_inbound_texts == 2
    assert stats.last_inbound_text == "newer"
    assert stats.last_inbound_text_date == date(2026, 3, 2)
    assert changed == ("total_inbound_texts",)


def test_a_call_without_disposition_keeps_the_last_disposition() -> None:
    first = event("a", CALL, OUT, datetime(2026, 3, 1, 9, tzinfo=UTC), disposition="Busy")
    second = event("b", CALL, OUT, datetime(2026, 3, 1, 10, tzinfo=UTC))
    stats = reduce(lambda s, e: apply(s, e)[0], [first, second], TrackingStats())
    assert stats.last_outbound_call_disposition == "Busy"
    assert stats.last_outbound_call_time == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_same_instant_with_another_offset_counts_as_a_change_of_the_time_text() -> None:
    utc_call = event("a", CALL, IN, datetime(2026, 3, 1, 15, 33, 16, tzinfo=UTC))
    pdt_call = event("b", CALL, IN, datetime(2026, 3, 1, 8, 33, 16, tzinfo=PDT))
    stats, _ = apply(TrackingStats(), utc_call)
    stats, changed = apply(stats, pdt_call)  # "b" > "a": wins the tie on the instant
    assert "last_inbound_call_time" in changed
    assert stats.last_inbound_call_time is not None
    assert stats.last_inbound_call_time.utcoffset() == timedelta(hours=-7)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        ActivityEvent("x", CALL, IN, datetime(2026, 3, 1, 9))


OFFSETS = [timezone(timedelta(minutes=m)) for m in (-600, -420, -300, 0, 60, 330, 345, 840)]


@st.composite
def histories(draw: st.DrawFn) -> list[ActivityEvent]:
    count = draw(st.integers(min_value=1, max_value=12))
    events = []
    for index in range(count):
        minutes = draw(st.integers(min_value=0, max_value=3 * 24 * 60))
        # Few distinct instants so ties on the instant (broken by external id) happen often.
        minutes -= minutes % 240
        zone = draw(st.sampled_from(OFFSETS))
        when = (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(zone)
        events.append(
            ActivityEvent(
                external_id=f"ev-{index:02d}",
                kind=draw(st.sampled_from(list(ActivityKind))),
                direction=draw(st.sampled_from(list(ActivityDirection))),
                occurred_at=when,
                body=draw(st.sampled_from([None, "hi", "call me"])),
                disposition=draw(st.sampled_from([None, "Busy", "Sale"])),
            )
        )
    return events


def _exact(stats: TrackingStats) -> dict[str, Any]:
    """Compare datetimes with their offsets (== on aware datetimes ignores the offset)."""
    return {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name, value in stats.values().items()
    }


@settings(max_examples=200, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_any_arrival_order_equals_recomputing_from_the_full_history(
    history: list[ActivityEvent], rnd: Any
) -> None:
    shuffled = list(history)
    rnd.shuffle(shuffled)
    folded = reduce(lambda stats, ev: apply(stats, ev)[0], shuffled, TrackingStats())
    expected = recompute(history)
    assert _exact(folded) == _exact(expected)
    assert dict(folded.keys) == dict(expected.keys)


@settings(max_examples=100, deadline=None)
@given(histories())
def test_changed_fields_are_exactly_the_fields_whose_value_changed(
    history: list[ActivityEvent],
) -> None:
    stats = TrackingStats()
    for ev in history:
        new, changed = apply(stats, ev)
        before, after = _exact(stats), _exact(new)
        assert set(changed) == {name for name in TRACKING_FIELDS if before[name] != after[name]}
        stats = new
