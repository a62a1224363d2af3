"""Tracking stats: per-contact call and text counters and "last" values, one event at a time.

`apply` never re-reads history. Out-of-order arrivals are handled by remembering, for every
"last" group, the ordering key of the event that set it: ``<UTC instant>|<external id>``. An
older event still increments totals but cannot overwrite the values of a newer one; ties on the
instant are broken by the external id so any arrival order gives the same result as `recompute`.

Time rules: ``last_*_time`` keeps the event's own UTC offset (an aware datetime), ``last_*_date``
is the calendar date at that offset (the day the caller saw), ``last_*_engagement_at`` is UTC.
Calls without a disposition do not blank the disposition fields: those show the newest call that
carried one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any


class ActivityKind(StrEnum):
    """What happened: a phone call or a text message."""

    CALL = "call"
    SMS = "sms"


class ActivityDirection(StrEnum):
    """Who started it: the contact (inbound) or our agent (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One call or text as the tracking stats see it; ``occurred_at`` keeps its original offset."""

    external_id: str
    kind: ActivityKind
    direction: ActivityDirection
    occurred_at: datetime
    body: str | None = None
    disposition: str | None = None
    duration_seconds: int = 0

    def __post_init__(self) -> None:
        """Refuse naive datetimes: the original offset is part of the data."""
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be an aware datetime with its original offset")

    @property
    def order_key(self) -> str:
        """Return the key that orders events: UTC instant, then external id."""
        instant = self.occurred_at.astimezone(UTC)
        return f"{instant.year:04d}{instant:-%m-%dT%H:%M:%S.%f}Z|{self.external_id}"


@dataclass(frozen=True)
class TrackingStats:
    """Every tracking property of one contact (names as in the shared field table)."""

    last_inbound_text_date: date | None = None
    last_outbound_text_date: date | None = None
    last_inbound_text: str | None = None
    last_outbound_text: str | None = None
    total_inbound_texts: int = 0
    total_outbound_texts: int = 0
    last_inbound_call_date: date | None = None
    last_outbound_call_date: date | None = None
    total_inbound_calls: int = 0
    total_outbound_calls: int = 0
    last_inbound_call_time: datetime | None = None
    last_outbound_call_time: datetime | None = None
    last_inbound_message_time: datetime | None = None
    last_outbound_message_time: datetime | None = None
    last_call_disposition: str | None = None
    last_inbound_call_disposition: str | None = None
    last_outbound_call_disposition: str | None = None
    last_engagement_at: datetime | None = None
    last_inbound_engagement_at: datetime | None = None
    last_outbound_engagement_at: datetime | None = None
    keys: Mapping[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """Return the tracking properties only (no ordering keys)."""
        return {name: getattr(self, name) for name in TRACKING_FIELDS}


TRACKING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TrackingStats) if f.name != "keys")
DATE_FIELDS = frozenset(n for n in TRACKING_FIELDS if n.endswith("_date"))
OFFSET_TIME_FIELDS = frozenset(n for n in TRACKING_FIELDS if n.endswith("_time"))
UTC_FIELDS = frozenset(n for n in TRACKING_FIELDS if n.endswith("_at"))
COUNTER_FIELDS = frozenset(n for n in TRACKING_FIELDS if n.startswith("total_"))


def _group_values(event: ActivityEvent) -> dict[str, dict[str, Any]]:
    """Map each "last" group this event competes in to the values it would set."""
    direction = event.direction.value
    groups: dict[str, dict[str, Any]] = {}
    local_date = event.occurred_at.date()
    if event.kind is ActivityKind.CALL:
        groups[f"{direction}_call"] = {
            f"last_{direction}_call_date": local_date,
            f"last_{direction}_call_time": event.occurred_at,
        }
        if event.disposition:
            groups[f"{direction}_call_disposition"] = {
                f"last_{direction}_call_disposition": event.disposition
            }
            groups["call_disposition"] = {"last_call_disposition": event.disposition}
    else:
        groups[f"{direction}_text"] = {
            f"last_{direction}_text_date": local_date,
            f"last_{direction}_text": event.body or "",
            f"last_{direction}_message_time": event.occurred_at,
        }
    return groups


def _counter(event: ActivityEvent) -> str:
    noun = "calls" if event.kind is ActivityKind.CALL else "texts"
    return f"total_{event.direction.value}_{noun}"


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def apply(stats: TrackingStats, event: ActivityEvent) -> tuple[TrackingStats, tuple[str, ...]]:
    """Fold one event into ``stats``; return the new stats and the names of changed properties."""
    updates: dict[str, Any] = {}
    keys = dict(stats.keys)
    order_key = event.order_key
    for group, values in _group_values(event).items():
        if order_key > keys.get(group, ""):
            keys[group] = order_key
            updates.update(values)
    counter = _counter(event)
    updates[counter] = getattr(stats, counter) + 1
    instant = event.occurred_at.astimezone(UTC)
    updates["last_engagement_at"] = _later(stats.last_engagement_at, instant)
    directional = f"last_{event.direction.value}_engagement_at"
    updates[directional] = _later(getattr(stats, directional), instant)
    changed = tuple(
        name
        for name in TRACKING_FIELDS
        if name in updates and not same_value(getattr(stats, name), updates[name])
    )
    return replace(stats, keys=keys, **updates), changed


def same_value(old: Any, new: Any) -> bool:
    """Compare two property values; datetimes must also agree on their offset to be the same."""
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old == new and old.utcoffset() == new.utcoffset()
    return bool(old == new) and type(old) is type(new)


def recompute(events: Iterable[ActivityEvent]) -> TrackingStats:
    """Compute stats from the full history at once (the reference `apply` must agree with)."""
    history = list(events)
    values: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for event in history:
        counter = _counter(event)
        values[counter] = values.get(counter, 0) + 1
    winners: dict[str, ActivityEvent] = {}
    for event in history:
        for group in _group_values(event):
            best = winners.get(group)
            if best is None or event.order_key > best.order_key:
                winners[group] = event
    for group, winner in winners.items():
        keys[group] = winner.order_key
        values.update(_group_values(winner)[group])
    if history:
        values["last_engagement_at"] = max(e.occurred_at for e in history).astimezone(UTC)
        for direction in ActivityDirection:
            inside = [e.occurred_at for e in history if e.direction is direction]
            if inside:
                values[f"last_{direction.value}_engagement_at"] = max(inside).astimezone(UTC)
    return TrackingStats(keys=keys, **values)


__all__ = [
    "COUNTER_FIELDS",
    "DATE_FIELDS",
    "OFFSET_TIME_FIELDS",
    "TRACKING_FIELDS",
    "UTC_FIELDS",
    "ActivityDirection",
    "ActivityEvent",
    "ActivityKind",
    "TrackingStats",
    "apply",
    "recompute",
    "same_value",
]
