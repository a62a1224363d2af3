"""Record calls and texts: store the activity, update tracking stats, write one outbox row.

One event is one transaction (the caller's). A re-delivered event (same external id in the
account) is recognised by the unique key and changes nothing, so event delivery may be
at-least-once. Stats are updated incrementally from the stored stats row, never by
re-reading the contact's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.domain.phones import mask_raw, normalize
from ringsync.domain.tracking import (
    TRACKING_FIELDS,
    ActivityDirection,
    ActivityEvent,
    ActivityKind,
    TrackingStats,
    apply,
)
from ringsync.errors import NotFoundError, Problem, RingsyncError, ValidationError
from ringsync.store.repositories import accounts as accounts_repo
from ringsync.store.repositories import activities as repo
from ringsync.store.repositories import activities_batch as batch_repo
from ringsync.store.repositories import contacts as contacts_repo
from ringsync.store.repositories import dispositions as dispositions_repo
from ringsync.store.repositories import outbox as outbox_repo

MAX_EXTERNAL_ID = 128
MAX_BODY = 32_768
MAX_BATCH = 500
KEY_REUSED = "this idempotency key was already used for a different event"


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


def _activity_row(
    account_id: int,
    contact_id: int,
    event: ActivityEvent,
    disposition_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    offset = event.occurred_at.utcoffset()
    return {
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
    }


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
    activity_id = repo.insert_if_new(
        session, _activity_row(account_id, contact_id, event, disposition_id, now)
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


# --- events as the events API takes them: one at a time, or a batch in one transaction --------


def contact_id_for(
    session: Session, account_id: int, *, contact_id: int | None = None, phone: str | None = None
) -> int:
    """Return the contact id an event names, without loading the contact.

    A ``contact_id`` is returned as given: `record_activity` locks the contact and raises
    NotFoundError when the account has no such contact. A ``phone`` in any format is normalised
    with the account's region and looked up by its identity (NotFoundError when no contact has
    it; the number is masked in the message).
    """
    if contact_id is not None:
        return contact_id
    if phone is None:
        raise ValueError("an event names its contact by contact_id or phone")
    identity = normalize(phone, _region(session, account_id))
    found = batch_repo.contact_id_by_identity(
        session, account_id, identity.e164, identity.extension
    )
    if found is None:
        raise _unknown_phone(phone, account_id)
    return found


def _unknown_phone(phone: str, account_id: int) -> NotFoundError:
    return NotFoundError(
        f"no contact has phone {mask_raw(phone)}; create it first", account_id=account_id
    )


def _region(session: Session, account_id: int) -> str:
    account = accounts_repo.get(session, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
    return account.default_region


@dataclass(frozen=True)
class RecordedEvent:
    """What accepting one event did.

    ``conflict``: its key is stored for a different event (nothing was written).
    ``duplicate``: the same event was stored before (``activity_id`` is the stored one).
    ``outbox_id`` is set only when the event was recorded now.
    """

    activity_id: int | None
    contact_id: int
    duplicate: bool
    conflict: bool
    outbox_id: int | None


def _same_event(stored: dict[str, Any], contact_id: int, event: ActivityEvent) -> bool:
    return bool(
        stored["contact_id"] == contact_id
        and stored["kind"] == event.kind.value
        and stored["direction"] == event.direction.value
        and stored["occurred_at"] == event.occurred_at.astimezone(UTC)
    )


def record_event(
    session: Session,
    account_id: int,
    event: ActivityEvent,
    *,
    contact_id: int | None = None,
    phone: str | None = None,
    clock: Clock | None = None,
) -> RecordedEvent:
    """Accept one event as ``POST /api/v1/events`` does, in the caller's transaction.

    Resolve the contact without loading it (`contact_id_for`), `record_activity`, and on a
    repeated key compare the stored activity with this event. Raises NotFoundError or
    ValidationError.
    """
    resolved = contact_id_for(session, account_id, contact_id=contact_id, phone=phone)
    result = record_activity(session, account_id, resolved, event, clock=clock)
    if not result.duplicate:
        return RecordedEvent(result.activity_id, resolved, False, False, result.outbox_id)
    stored = batch_repo.stored_by_key(session, account_id, [event.external_id])[event.external_id]
    if not _same_event(stored, resolved, event):
        return RecordedEvent(None, resolved, True, True, None)
    return RecordedEvent(int(stored["id"]), resolved, True, False, None)


@dataclass(frozen=True)
class BatchItem:
    """One event of a batch and its contact (by id or phone), or the error already found."""

    event: ActivityEvent | None
    contact_id: int | None = None
    phone: str | None = None
    error: RingsyncError | None = None


@dataclass(frozen=True)
class EventOutcome:
    """What happened to one event of a batch: created, replayed, or an error (code, message)."""

    status: Literal["created", "replayed", "error"]
    activity_id: int | None = None
    contact_id: int | None = None
    outbox_id: int | None = None
    code: str | None = None
    message: str | None = None
    problems: tuple[Problem, ...] = ()


def _failed(error: RingsyncError) -> EventOutcome:
    problems = tuple(error.problems) if isinstance(error, ValidationError) else ()
    return EventOutcome("error", code=error.code, message=error.message, problems=problems)


class _Batch:
    """The working state of `record_events`: one batch, one transaction."""

    def __init__(self, session: Session, account_id: int, items: Sequence[BatchItem]) -> None:
        self.session = session
        self.account_id = account_id
        self.items = items
        self.outcomes: list[EventOutcome | None] = [None] * len(items)
        self.contacts: dict[int, int] = {}  # item index -> contact id
        self.dispositions: dict[int, int | None] = {}  # item index -> disposition id

    def fail(self, index: int, error: RingsyncError) -> None:
        self.outcomes[index] = _failed(error)

    def live(self) -> list[int]:
        return [i for i, outcome in enumerate(self.outcomes) if outcome is None]

    def event(self, index: int) -> ActivityEvent:
        event = self.items[index].event
        assert event is not None
        return event

    def validate(self) -> None:
        """Check each event as `record_activity` does (dispositions read once)."""
        names: dict[str, int] | None = None
        for index, item in enumerate(self.items):
            if item.error is not None or item.event is None:
                self.fail(index, item.error or ValidationError("the event is missing", []))
                continue
            problems = _problems(item.event)
            disposition_id: int | None = None
            if item.event.disposition:
                if names is None:
                    listed = dispositions_repo.list_all(self.session, self.account_id)
                    names = {d.name: d.id for d in listed}
                disposition_id = names.get(item.event.disposition)
                if disposition_id is None:
                    reason = f"unknown disposition {item.event.disposition!r}"
                    problems.append(Problem("disposition", reason, "unknown"))
            if problems:
                self.fail(index, ValidationError("the activity cannot be recorded", problems))
            else:
                self.dispositions[index] = disposition_id

    def resolve(self) -> None:
        """Find the contacts named by phone (one query), then lock every contact (one more)."""
        by_phone: dict[int, tuple[str, str]] = {}
        region: str | None = None
        for index in self.live():
            item = self.items[index]
            if item.contact_id is not None:
                self.contacts[index] = item.contact_id
                continue
            if item.phone is None:
                problem = Problem("contact_id", "give exactly one of contact_id or phone")
                self.fail(index, ValidationError("the event cannot be recorded", [problem]))
                continue
            if region is None:
                region = _region(self.session, self.account_id)
            try:
                parsed = normalize(item.phone, region)
            except ValidationError as exc:
                self.fail(index, exc)
                continue
            by_phone[index] = (parsed.e164, parsed.extension)
        ids = batch_repo.contact_ids_by_identity(self.session, self.account_id, by_phone.values())
        for index, key in by_phone.items():
            if key in ids:
                self.contacts[index] = ids[key]
            else:
                self.fail(index, _unknown_phone(self.items[index].phone or "", self.account_id))
        wanted = {self.contacts[i] for i in self.live()}
        found = batch_repo.lock_contacts(self.session, self.account_id, wanted)
        for index in self.live():
            contact_id = self.contacts[index]
            if contact_id not in found:
                message = f"contact {contact_id} does not exist"
                self.fail(index, NotFoundError(message, account_id=self.account_id))

    def insert(self, now: datetime) -> list[int]:
        """Insert each key's first event if the key is new; settle replays and reused keys.

        Returns the indexes of the events recorded now, in batch order.
        """
        first: dict[str, int] = {}
        for index in self.live():
            first.setdefault(self.event(index).external_id, index)
        rows = [  # in key order, so concurrent batches take the key index's locks alike
            _activity_row(
                self.account_id, self.contacts[i], self.event(i), self.dispositions[i], now
            )
            for _, i in sorted(first.items())
        ]
        new = batch_repo.insert_new(self.session, rows)
        stored = batch_repo.stored_by_key(
            self.session, self.account_id, [key for key in first if key not in new]
        )
        created: list[int] = []
        for index in self.live():
            event, contact_id = self.event(index), self.contacts[index]
            key = event.external_id
            head = first[key]
            if key in new and head == index:
                created.append(index)
                continue
            if key in new:  # the key was first used earlier in this batch
                original = _activity_row(
                    self.account_id, self.contacts[head], self.event(head), None, now
                )
                original["id"] = new[key]
            else:
                original = stored[key]
            if _same_event(original, contact_id, event):
                self.outcomes[index] = EventOutcome(
                    "replayed", activity_id=int(original["id"]), contact_id=contact_id
                )
            else:
                self.outcomes[index] = EventOutcome(
                    "error", contact_id=contact_id, code="conflict", message=KEY_REUSED
                )
        for index in created:
            key = self.event(index).external_id
            self.outcomes[index] = EventOutcome(
                "created", activity_id=new[key], contact_id=self.contacts[index]
            )
        return created

    def fold(self, created: list[int], now: datetime) -> None:
        """Fold the new events into their contacts' stats in batch order; write each once."""
        contact_ids = sorted({self.contacts[i] for i in created})
        rows = batch_repo.stats_rows(self.session, self.account_id, contact_ids)
        stats = {c: stats_from_row(rows.get(c)) for c in contact_ids}
        changed: dict[int, set[str]] = {c: set() for c in contact_ids}
        for index in created:
            contact_id = self.contacts[index]
            stats[contact_id], names = apply(stats[contact_id], self.event(index))
            changed[contact_id].update(names)
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        for contact_id in contact_ids:
            values = {name: getattr(stats[contact_id], name) for name in changed[contact_id]}
            values["keys"] = dict(stats[contact_id].keys)
            values["contact_id"] = contact_id
            (updates if contact_id in rows else inserts).append(values)
        batch_repo.write_stats(self.session, self.account_id, updates, inserts)
        outbox_ids = outbox_repo.add_many_returning(
            self.session,
            [
                {
                    "account_id": self.account_id,
                    "contact_id": contact_id,
                    "fields": sorted(changed[contact_id]),
                    "origin": "ringsync",
                    "created_at": now,
                    "attempts": 0,
                    "status": outbox_repo.PENDING,
                }
                for contact_id in contact_ids
            ],
        )
        for index in created:
            outcome = self.outcomes[index]
            assert outcome is not None
            contact_id = self.contacts[index]
            self.outcomes[index] = replace(outcome, outbox_id=outbox_ids[contact_id])


def record_events(
    session: Session,
    account_id: int,
    items: Sequence[BatchItem],
    *,
    clock: Clock | None = None,
) -> list[EventOutcome]:
    """Record a batch of events in the caller's transaction; return one outcome per event.

    Set-based: the contacts are locked (ascending ids) in one statement, the new activities
    inserted in one ``INSERT ... ON CONFLICT DO NOTHING``, each touched contact's stats read and
    written once, and one outbox row written per contact with the union of its changed fields.
    Events of one contact are folded in batch order, so totals and "last" fields equal what
    recording them one by one gives. A bad event (invalid, unknown contact, key reused for a
    different event) gets an error outcome and never stops the others. A key repeated within
    the batch is recorded once (its first valid event); the later ones are replays or conflicts.
    """
    if len(items) > MAX_BATCH:
        raise ValidationError(
            f"a batch holds at most {MAX_BATCH} events",
            [Problem("events", f"at most {MAX_BATCH} events", "too_long")],
            account_id=account_id,
        )
    batch = _Batch(session, account_id, items)
    batch.validate()
    if batch.live():
        batch.resolve()
    if batch.live():
        now = (clock or SystemClock()).now()
        created = batch.insert(now)
        if created:
            batch.fold(created, now)
    outcomes = [outcome for outcome in batch.outcomes if outcome is not None]
    assert len(outcomes) == len(items)
    return outcomes


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


__all__ = [
    "KEY_REUSED",
    "MAX_BATCH",
    "ActivityResult",
    "BatchItem",
    "EventOutcome",
    "RecordedEvent",
    "contact_id_for",
    "get_stats",
    "history",
    "record_activity",
    "record_event",
    "record_events",
    "stats_from_row",
]
