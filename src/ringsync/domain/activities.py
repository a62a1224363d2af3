"""Record calls and texts: store the activity, update tracking stats, write one outbox row.

One event is one transaction (the caller's). A re-delivered event (same external id in the
account) is recognised by the unique key and changes nothing, so event delivery may be
at-least-once. Stats are updated incrementally from the stored stats row, never by
re-reading the contact's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.domain.tracking import (
    TRACKING_FIELDS,
    ActivityDirection,
    ActivityEvent,
    ActivityKind,
    TrackingStats,
    apply,
)
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import activities as repo
from ringsync.store.repositories import contacts as contacts_repo
from ringsync.store.repositories import dispositions as dispositions_repo
from ringsync.store.repositories import outbox as outbox_repo

MAX_EXTERNAL_ID = 128
MAX_BODY = 32_768


@dataclass(frozen=True)
class ActivityResult:
    """What recording one event did: its id, whether it was a duplicate, what stats changed."""

    activity_id: int | None
    duplicate: bool
    changed: tuple[str, ...]
    outbox_id: int | None


def _problems(event: ActivityEvent) -> list[Problem]:
    problems: list[Problem] = []
    if not event.external_id.strip() or len(event.external_id) > MAX_EXTERNAL_ID:
        problems.append(
            Problem("external_id", f"external_id must have 1 to {MAX_EXTERNAL_ID} characters")
        )
    if event.duration_seconds < 0:
        problems.append(Problem("duration_seconds", "duration_seconds must not be negative"))
    if event.body is not None and len(event.body) > MAX_BODY:
        problems.append(Problem("body", f"body is longer than {MAX_BODY} characters", "too_long"))
    if event.kind not in tuple(ActivityKind):
        problems.append(Problem("kind", "kind must be call or sms", "bad_choice"))
    if event.direction not in tuple(ActivityDirection):
        problems.append(Problem("direction", "direction must be inbound or outbound", "bad_choice"))
    return problems


def stats_from_row(row: dict[str, Any] | None) -> TrackingStats:
    """Rebuild tracking stats from a stored row (defaults when the contact has none yet)."""
    if row is None:
        return TrackingStats()
    values = {name: row[name] for name in TRACKING_FIELDS}
    for name in TRACKING_FIELDS:
        if name.startswith("total_"):
            values[name] = int(values[name] or 0)
    return TrackingStats(keys=dict(row.get("keys") or {}), **values)


def record_activity(
    session: Session,
    account_id: int,
    contact_id: int,
    event: ActivityEvent,
    *,
    clock: Clock | None = None,
) -> ActivityResult:
    """Store one call or text, fold it into the contact's stats, and queue the changed fields."""
    problems = _problems(event)
    disposition_id: int | None = None
    if event.disposition:
        disposition = dispositions_repo.by_name(session, account_id, event.disposition)
        if disposition is None:
            problems.append(
                Problem("disposition", f"unknown disposition {event.disposition!r}", "unknown")
            )
        else:
            disposition_id = disposition.id
    if problems:
        raise ValidationError("the activity cannot be recorded", problems, account_id=account_id)
    # Lock the contact first: it proves the contact is this account's and serialises its stats.
    if not contacts_repo.lock(session, account_id, contact_id):
        raise NotFoundError(f"contact {contact_id} does not exist", account_id=account_id)
    now = (clock or SystemClock()).now()
    offset = event.occurred_at.utcoffset()
    activity_id = repo.insert_if_new(
        session,
        {
            "account_id": account_id,
            "contact_id": contact_id,
            "kind": event.kind.value,
            "direction": event.direction.value,
            "occurred_at": event.occurred_at.astimezone(UTC),
            "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
            "duration_seconds": event.duration_seconds,
            "body": event.body,
            "disposition_id": disposition_id,
            "external_id": event.external_id,
            "created_at": now,
        },
    )
    if activity_id is None:
        return ActivityResult(None, True, (), None)
    row = repo.stats_row(session, account_id, contact_id)
    stats, changed = apply(stats_from_row(row), event)
    values: dict[str, Any] = {name: getattr(stats, name) for name in changed}
    values["keys"] = dict(stats.keys)
    repo.write_stats(session, account_id, contact_id, values, exists=row is not None)
    outbox_id = outbox_repo.add(session, account_id, contact_id, changed, "ringsync", now)
    return ActivityResult(activity_id, False, changed, outbox_id)


def get_stats(session: Session, account_id: int, contact_id: int) -> TrackingStats:
    """Return a contact's tracking stats (zeros when it has no activity yet)."""
    if contacts_repo.get(session, account_id, contact_id) is None:
        raise NotFoundError(f"contact {contact_id} does not exist", account_id=account_id)
    return stats_from_row(repo.stats_row(session, account_id, contact_id))


def history(session: Session, account_id: int, contact_id: int) -> list[ActivityEvent]:
    """Return a contact's stored activities as events, with their original offsets restored."""
    events: list[ActivityEvent] = []
    names = {d.id: d.name for d in dispositions_repo.list_all(session, account_id)}
    for activity in repo.for_contact(session, account_id, contact_id):
        zone = timezone(timedelta(minutes=activity.utc_offset_minutes))
        events.append(
            ActivityEvent(
                external_id=activity.external_id,
                kind=ActivityKind(activity.kind),
                direction=ActivityDirection(activity.direction),
                occurred_at=activity.occurred_at.astimezone(zone),
                body=activity.body,
                disposition=names.get(activity.disposition_id or 0),
                duration_seconds=activity.duration_seconds,
            )
        )
    return events


__all__ = ["ActivityResult", "get_stats", "history", "record_activity", "stats_from_row"]
