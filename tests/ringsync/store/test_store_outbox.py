from datetime import timedelta

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.store.db import Database
from ringsync.store.repositories import outbox


def queue_three(database: Database, account_id: int) -> int:
    with database.write() as s:
        contact = create_contact(s, account_id, {"phone": "4155550100"}).contact
        for city in ("A", "B"):
            update_contact(s, account_id, contact.id, {"city": city}, origin=Origin.RINGSYNC)
    return contact.id


def test_claims_are_leased_and_not_taken_twice(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    queue_three(database, account_id)
    with database.write() as s:
        first = outbox.claim(s, account_id, "w1", clock.now(), limit=2)
    with database.write() as s:
        second = outbox.claim(s, account_id, "w2", clock.now(), limit=10)
    assert [r.attempts for r in first] == [1, 1]
    assert len(second) == 1
    assert {r.id for r in first}.isdisjoint({r.id for r in second})


def test_an_expired_lease_is_taken_over(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    queue_three(database, account_id)
    with database.write() as s:
        taken = outbox.claim(s, account_id, "w1", clock.now(), lease=timedelta(minutes=1))
    clock.advance(61)
    with database.write() as s:
        again = outbox.claim(s, account_id, "w2", clock.now())
    assert [r.id for r in again] == [r.id for r in taken]
    assert {r.attempts for r in again} == {2}


def test_settle_and_release(database: Database, account_id: int, clock: FrozenClock) -> None:
    queue_three(database, account_id)
    with database.write() as s:
        rows = outbox.claim(s, account_id, "w1", clock.now())
        assert outbox.settle(s, account_id, [rows[0].id]) == 1
        assert outbox.settle(s, account_id, [rows[1].id], status=outbox.FAILED, error="bad") == 1
        assert (
            outbox.release(
                s,
                account_id,
                [rows[2].id],
                retry_at=clock.now() + timedelta(seconds=30),
                error="429",
            )
            == 1
        )
        assert outbox.settle(s, account_id, []) == 0
    with database.write() as s:
        assert outbox.claim(s, account_id, "w2", clock.now()) == []  # retry not due yet
        assert [r.status for r in outbox.list_rows(s, account_id)] == ["done", "failed", "pending"]
    clock.advance(31)
    with database.write() as s:
        assert [r.id for r in outbox.claim(s, account_id, "w2", clock.now())] == [rows[2].id]


def test_other_accounts_rows_cannot_be_settled(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    queue_three(database, account_id)
    with database.write() as s:
        rows = outbox.claim(s, account_id, "w1", clock.now())
        assert outbox.settle(s, account_id + 10_000, [r.id for r in rows]) == 0
        assert outbox.claim(s, account_id + 10_000, "w1", clock.now()) == []
