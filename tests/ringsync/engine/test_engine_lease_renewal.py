"""An outbound run renews the account lease between send batches, and stops when it is lost.

Salesforce is made slow on the wire: an httpx response hook moves the frozen clock on by 6 s
for every write call, so a push of three batches (one contact each) outlives a 10 s lease.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.runtime.leases import Lease, LeaseRepository, account_lease_key
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database
from ringsync.sync.engine import EngineOptions, RunLease, SyncEngine
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions

TTL = timedelta(seconds=10)
SLOW = timedelta(seconds=6)  # what each write call takes
PHONES = ("+14155550981", "+14155550982", "+14155550983")


@pytest.fixture
def engine_options() -> EngineOptions:
    return EngineOptions(
        inbound=InboundOptions(bulk_threshold=None), outbound=OutboundOptions(send_batch=1)
    )


def _slow_engine(
    database: Database,
    client: SalesforceClient,
    sf_http: httpx2.Client,
    clock: FrozenClock,
    options: EngineOptions,
    on_write: Callable[[], None],
) -> SyncEngine:
    def slow(response: httpx2.Response) -> None:
        request = response.request
        if request.method == "PATCH" and "/composite/sobjects" in request.url.path:
            clock.advance(SLOW)
            on_write()

    sf_http.event_hooks = {"response": [slow]}
    return SyncEngine(database, lambda _account: client, clock=clock, options=options)


def test_a_push_longer_than_the_lease_renews_it_between_batches(
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
    leases = LeaseRepository(database, clock)
    key = account_lease_key(account_id)
    held = leases.acquire(key, "worker-a:job-1", TTL)
    assert held is not None
    slow = _slow_engine(database, single_try_client, sf_http, clock, engine_options, lambda: None)
    started = clock.now()

    run = slow.under(RunLease(held.token, TTL)).run_outbound(account_id)

    assert run.error is None
    assert run.totals == {"updated": 3}
    assert clock.now() - started > TTL  # the push outlived the lease it started with
    current = leases.current(key)
    assert current is not None
    assert (current.token, current.holder) == (held.token, "worker-a:job-1")
    assert leases.acquire(key, "worker-b:job-2", TTL) is None  # nobody took the account
    assert all(org.get(lead)["FirstName"] == "Pushed" for lead in leads)


def test_a_push_whose_lease_was_taken_over_stops_before_the_next_batch(
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
    leases = LeaseRepository(database, clock)
    key = account_lease_key(account_id)
    held = leases.acquire(key, "worker-a:job-1", TTL)
    assert held is not None
    taken: list[Lease] = []

    def stall() -> None:  # worker A stalls past its lease; worker B takes the account
        clock.advance(TTL)
        if not taken:
            other = leases.acquire(key, "worker-b:job-2", TTL)
            assert other is not None
            taken.append(other)

    slow = _slow_engine(database, single_try_client, sf_http, clock, engine_options, stall)

    run = slow.under(RunLease(held.token, TTL)).run_outbound(account_id)

    assert run.error is not None
    assert run.error.startswith("lease_lost")
    assert run.totals == {"updated": 1}
    assert sum(org.get(lead).get("FirstName") == "Pushed" for lead in leads) == 1
    assert len(store.outbox("pending")) == 2  # left for the new holder
