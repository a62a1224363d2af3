"""An outbound run longer than its claim lease extends the claim on the rows it has not sent.

Salesforce is made slow on the wire: an httpx response hook moves the frozen clock on by 6 s
for every write call, so a run of three batches (one contact each) outlives a 10 s claim.
Another claimer (a push outside the account lease, a second worker's sweep) then gets none of
the run's unsent rows; a row taken over anyway is left to the run that took it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import update

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import create_contact
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database
from ringsync.store.repositories import outbox
from ringsync.store.tables import OutboxEntry, table_of
from ringsync.sync.engine import EngineOptions, RunLease, SyncEngine
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import CLAIM_LOST, CLAIM_LOST_REASON, OutboundOptions

TTL = timedelta(seconds=10)
SLOW = timedelta(seconds=6)  # what each write call takes
PHONES = ("+14155550971", "+14155550972", "+14155550973")
OUTBOX = table_of(OutboxEntry)


def _options(clock: FrozenClock, worker: str = "ringsync") -> EngineOptions:
    return EngineOptions(
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(send_batch=1, lease=TTL, clock=clock, worker=worker),
    )


@pytest.fixture
def engine_options(clock: FrozenClock) -> EngineOptions:
    return _options(clock)


class Writes:
    """Count the records each composite update call carried, by Salesforce Id."""

    def __init__(self) -> None:
        self.by_record: Counter[str] = Counter()
        self.calls = 0

    def seen(self, request: httpx2.Request) -> bool:
        if request.method != "PATCH" or "/composite/sobjects" not in request.url.path:
            return False
        self.calls += 1
        for record in json.loads(request.content)["records"]:
            self.by_record[str(record["Id"])] += 1
        return True


def _on_writes(sf_http: httpx2.Client, writes: Writes, after: Callable[[], None]) -> None:
    """Count every write call; call ``after`` once each write call has been answered."""

    def hook(response: httpx2.Response) -> None:
        if writes.seen(response.request):
            response.read()  # the call is over before anything else reaches the emulator
            after()

    sf_http.event_hooks = {"response": [hook]}


def test_a_run_longer_than_the_claim_lease_keeps_its_unsent_rows(
    engine: SyncEngine,
    edited_leads: Callable[[Sequence[str], str], list[str]],
    engine_options: EngineOptions,
    database: Database,
    sf_http: httpx2.Client,
    single_try_client: SalesforceClient,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    leads = edited_leads(PHONES, "Pushed")
    first_claim_ends = clock.now() + TTL
    held = LeaseRepository(database, clock).acquire(
        account_lease_key(account_id), "worker-a:job-1", TTL
    )
    assert held is not None
    writes = Writes()
    stolen: list[outbox.OutboxRow] = []
    tried_at: list[Any] = []

    def slow_then_push() -> None:  # a push (outside the account lease) claims mid-run
        clock.advance(SLOW)
        with database.write() as session:
            stolen.extend(outbox.claim(session, account_id, "push", clock.now(), lease=TTL))
        tried_at.append(clock.now())

    _on_writes(sf_http, writes, slow_then_push)
    client = single_try_client
    slow = SyncEngine(database, lambda _account: client, clock=clock, options=engine_options)

    run = slow.under(RunLease(held.token, TTL)).run_outbound(account_id)

    assert run.error is None
    assert run.totals == {"updated": 3}
    assert max(tried_at) > first_claim_ends  # the push claimed after the first claim's end
    assert stolen == []
    assert writes.by_record == Counter(leads)  # every contact sent exactly once
    assert all(org.get(lead)["FirstName"] == "Pushed" for lead in leads)
    assert store.outbox("pending") == []

    again = engine.run_outbound(account_id)  # nothing is left to send twice

    assert again.totals == {}
    assert writes.calls == 3


@pytest.mark.parametrize(("first", "second"), [("ringsync", "ringsync"), ("worker-a", "worker-b")])
def test_rows_taken_over_mid_run_are_left_to_the_run_that_took_them(
    first: str,
    second: str,
    edited_leads: Callable[[Sequence[str], str], list[str]],
    database: Database,
    sf_http: httpx2.Client,
    single_try_client: SalesforceClient,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    leads = edited_leads(PHONES, "Pushed")
    writes = Writes()
    client = single_try_client
    run_a = SyncEngine(
        database, lambda _account: client, clock=clock, options=_options(clock, first)
    )
    run_b = SyncEngine(
        database, lambda _account: client, clock=clock, options=_options(clock, second)
    )
    taken_over: list[Any] = []
    stalled: list[bool] = []

    def stall_then_take_over() -> None:
        if stalled:  # run B's own writes, or run A's later ones
            return
        stalled.append(True)
        clock.advance(SLOW)
        # Run A's claim on the two unsent contacts lapses (as if it had stalled there); run B,
        # another worker's sweep, takes them, sends them and settles them.
        with database.write() as session:
            unsent = [r.id for r in outbox.list_rows(session, account_id)][1:]
            session.execute(
                update(OUTBOX).where(OUTBOX.c.id.in_(unsent)).values(claimed_until=clock.now())
            )
        clock.advance(timedelta(seconds=0.5))
        taken_over.append(run_b.run_outbound(account_id))

    _on_writes(sf_http, writes, stall_then_take_over)

    run = run_a.run_outbound(account_id)

    assert run.error is None
    assert run.totals == {"updated": 1, CLAIM_LOST: 2}
    assert [summary.totals for summary in taken_over] == [{"updated": 2}]
    assert writes.by_record == Counter(leads)  # run A sent the first, run B the two others
    assert all(org.get(lead)["FirstName"] == "Pushed" for lead in leads)
    assert store.outbox("pending") == []
    lost = [e for e in store.log("skipped") if e.reason == CLAIM_LOST_REASON]
    assert len(lost) == 2
    assert {e.run_id for e in lost} == {run.run_id}


# --- the repository ---------------------------------------------------------------------


def _queue_three(database: Database, account_id: int, clock: FrozenClock) -> list[int]:
    with database.write() as session:
        for phone in ("4155550974", "4155550975", "4155550976"):
            create_contact(session, account_id, {"phone": phone}, clock=clock)
        return [r.id for r in outbox.list_rows(session, account_id)]


def _claim_ends(database: Database, ids: list[int]) -> dict[int, Any]:
    with database.read() as session:
        rows = session.execute(
            OUTBOX.select().where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id)
        ).all()
    return {int(r.id): (r.claimed_by, r.claimed_until) for r in rows}


def test_extend_claims_moves_only_the_rows_this_claimer_still_holds(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    ids = _queue_three(database, account_id, clock)
    start = clock.now()
    with database.write() as session:
        claimed = outbox.claim(session, account_id, "w1", start, lease=TTL)
    assert [r.id for r in claimed] == ids
    first, second, third = ids
    clock.advance(TTL + timedelta(seconds=1))  # the claim lapsed; another claimer came
    with database.write() as session:
        outbox.settle(session, account_id, [first])
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == third)
            .values(claimed_by="w2", claimed_until=clock.now() + TTL)
        )
    later = clock.now() + TTL

    with database.write() as session:
        held = outbox.extend_claims(
            session, account_id, "w1", ids, held_until=start + TTL, until=later
        )

    assert held == {second}
    assert _claim_ends(database, ids) == {
        first: (None, None),
        second: ("w1", later),
        third: ("w2", clock.now() + TTL),
    }
    with database.write() as session:
        assert outbox.claim(session, account_id, "w3", clock.now(), lease=TTL) == []


def test_extend_claims_refuses_rows_claimed_again_under_the_same_worker_name(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    ids = _queue_three(database, account_id, clock)
    start = clock.now()
    with database.write() as session:
        outbox.claim(session, account_id, "ringsync", start, lease=TTL)
    clock.advance(TTL + timedelta(seconds=1))
    with database.write() as session:  # a second worker, same name, takes the lapsed rows
        again = outbox.claim(session, account_id, "ringsync", clock.now(), lease=TTL, limit=2)
    assert [r.id for r in again] == ids[:2]

    with database.write() as session:
        held = outbox.extend_claims(
            session, account_id, "ringsync", ids, held_until=start + TTL, until=clock.now() + TTL
        )
        assert (
            outbox.extend_claims(
                session, account_id, "ringsync", [], held_until=start + TTL, until=clock.now()
            )
            == set()
        )
        assert (
            outbox.extend_claims(
                session,
                account_id + 10_000,
                "ringsync",
                ids,
                held_until=clock.now() + TTL,
                until=clock.now() + 2 * TTL,
            )
            == set()
        )

    assert held == {ids[2]}  # the row nobody took is still ours: its claim moves on
    assert _claim_ends(database, ids)[ids[2]] == ("ringsync", clock.now() + TTL)
