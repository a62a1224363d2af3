from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.activities import get_stats, history, record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact
from ringsync.domain.dispositions import create_disposition
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind, recompute
from ringsync.errors import NotFoundError, ValidationError
from ringsync.store.db import Database
from ringsync.store.repositories import outbox

PDT = timezone(timedelta(hours=-7))


def new_contact(database: Database, account_id: int, phone: str = "4155550100") -> int:
    with database.write() as s:
        return create_contact(s, account_id, {"phone": phone}, origin=Origin.SALESFORCE).contact.id


def call(ext: str, when: datetime, disposition: str | None = None) -> ActivityEvent:
    return ActivityEvent(
        ext, ActivityKind.CALL, ActivityDirection.INBOUND, when, disposition=disposition
    )


def test_one_event_writes_exactly_one_outbox_row_naming_the_changed_fields(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    contact_id = new_contact(database, account_id)
    with database.write() as s:
        create_disposition(s, account_id, "Interested")
    when = datetime(2026, 3, 1, 8, 33, 16, tzinfo=PDT)
    with database.write() as s:
        result = record_activity(
            s, account_id, contact_id, call("c-1", when, disposition="Interested"), clock=clock
        )
    assert not result.duplicate
    with database.read() as s:
        rows = outbox.list_rows(s, account_id)
        stats = get_stats(s, account_id, contact_id)
    assert len(rows) == 1
    assert rows[0].id == result.outbox_id
    assert rows[0].fields == tuple(sorted(result.changed))
    assert set(rows[0].fields) == {
        "last_inbound_call_date",
        "last_inbound_call_time",
        "total_inbound_calls",
        "last_call_disposition",
        "last_inbound_call_disposition",
        "last_engagement_at",
        "last_inbound_engagement_at",
    }
    assert stats.total_inbound_calls == 1
    assert stats.last_inbound_call_time == when
    assert stats.last_inbound_call_time is not None
    assert stats.last_inbound_call_time.utcoffset() == timedelta(hours=-7)  # offset survives
    assert stats.last_inbound_call_date == date(2026, 3, 1)
    assert stats.last_engagement_at == datetime(2026, 3, 1, 15, 33, 16, tzinfo=UTC)
    assert stats.last_call_disposition == "Interested"


def test_a_redelivered_event_is_counted_once(database: Database, account_id: int) -> None:
    contact_id = new_contact(database, account_id)
    event = call("dup-1", datetime(2026, 3, 1, 9, tzinfo=UTC))
    with database.write() as s:
        first = record_activity(s, account_id, contact_id, event)
    with database.write() as s:
        again = record_activity(s, account_id, contact_id, event)
    assert (again.duplicate, again.changed, again.outbox_id, again.activity_id) == (
        True,
        (),
        None,
        None,
    )
    assert first.activity_id is not None
    with database.read() as s:
        assert get_stats(s, account_id, contact_id).total_inbound_calls == 1
        assert len(outbox.list_rows(s, account_id)) == 1


def test_external_ids_are_unique_per_account_not_globally(
    database: Database, account_id: int
) -> None:
    with database.write() as s:
        other = create_account(s, "Other").id
    mine = new_contact(database, account_id)
    theirs = new_contact(database, other)
    event = call("shared-id", datetime(2026, 3, 1, 9, tzinfo=UTC))
    with database.write() as s:
        assert not record_activity(s, account_id, mine, event).duplicate
        assert not record_activity(s, other, theirs, event).duplicate


def test_stored_stats_equal_recomputation_from_stored_history(
    database: Database, account_id: int
) -> None:
    contact_id = new_contact(database, account_id)
    base = datetime(2026, 3, 1, 9, tzinfo=UTC)
    events = [
        ActivityEvent(
            "e3",
            ActivityKind.SMS,
            ActivityDirection.OUTBOUND,
            base + timedelta(hours=3),
            body="later",
        ),
        ActivityEvent(
            "e1", ActivityKind.SMS, ActivityDirection.OUTBOUND, base.astimezone(PDT), body="first"
        ),
        call("e2", base + timedelta(hours=1)),
        call("e0", base - timedelta(days=1)),
    ]
    for event in events:
        with database.write() as s:
            record_activity(s, account_id, contact_id, event)
    with database.read() as s:
        stored = get_stats(s, account_id, contact_id)
        replay = recompute(history(s, account_id, contact_id))
    assert stored.values() == replay.values()
    assert stored.last_outbound_text == "later"
    assert stored.total_outbound_texts == 2
    assert stored.total_inbound_calls == 2


def test_bad_events_report_every_problem(database: Database, account_id: int) -> None:
    contact_id = new_contact(database, account_id)
    event = ActivityEvent(
        "",
        ActivityKind.CALL,
        ActivityDirection.INBOUND,
        datetime(2026, 3, 1, tzinfo=UTC),
        duration_seconds=-5,
        disposition="Nope",
    )
    with database.write() as s, pytest.raises(ValidationError) as caught:
        record_activity(s, account_id, contact_id, event)
    assert {p.field for p in caught.value.problems} == {
        "external_id",
        "duration_seconds",
        "disposition",
    }
    with database.read() as s:
        assert outbox.list_rows(s, account_id) == []


def test_another_accounts_contact_is_not_found(database: Database, account_id: int) -> None:
    with database.write() as s:
        other = create_account(s, "Elsewhere").id
    foreign = new_contact(database, other)
    with database.write() as s, pytest.raises(NotFoundError, match=f"contact {foreign} does not"):
        record_activity(s, account_id, foreign, call("x", datetime(2026, 3, 1, tzinfo=UTC)))
    with database.read() as s:
        assert get_stats(s, other, foreign).total_inbound_calls == 0


def test_concurrent_events_for_one_contact_lose_no_update(
    database: Database, account_id: int
) -> None:
    import threading

    contact_id = new_contact(database, account_id)
    errors: list[BaseException] = []

    def feed(worker: int) -> None:
        try:
            for index in range(15):
                event = call(f"w{worker}-{index}", datetime(2026, 3, 1, tzinfo=UTC))
                with database.write() as s:
                    record_activity(s, account_id, contact_id, event)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.read() as s:
        stats = get_stats(s, account_id, contact_id)
        rows = outbox.list_rows(s, account_id)
    assert stats.total_inbound_calls == 45
    assert len(rows) == 45
    assert stats.keys["inbound_call"].endswith("|w2-9")  # the largest id wins the tie
