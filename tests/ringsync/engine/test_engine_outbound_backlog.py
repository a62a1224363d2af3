"""A backlog larger than one claim drains in one outbound run, not one claim per wake-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ringsync.store.db import Database
from ringsync.store.repositories import outbox
from ringsync.sync.engine import EngineOptions, SyncEngine
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions

PHONES = tuple(f"+1415555{n:04d}" for n in range(960, 968))


@pytest.fixture
def engine_options() -> EngineOptions:
    return EngineOptions(
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(claim_limit=3, max_claims=50),
    )


def _pending(database: Database, account_id: int) -> int:
    with database.read() as session:
        return len(outbox.list_rows(session, account_id, status=outbox.PENDING))


def test_one_run_sends_a_backlog_of_several_claims(
    engine: SyncEngine,
    edited_leads: Callable[[Sequence[str], str], list[str]],
    database: Database,
    org: Any,
    account_id: int,
) -> None:
    leads = edited_leads(PHONES, "Backlog")
    assert _pending(database, account_id) == len(PHONES)  # 8 rows, 3 per claim

    run = engine.run_outbound(account_id)

    assert run.error is None
    assert run.totals == {"updated": len(PHONES)}
    assert _pending(database, account_id) == 0
    assert all(org.get(lead)["FirstName"] == "Backlog" for lead in leads)


def test_a_run_stops_after_its_last_claim_and_leaves_the_rest_for_the_next(
    database: Database, sf_client: Any, clock: Any, org: Any, store: Any, account_id: int
) -> None:
    options = EngineOptions(
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(claim_limit=3, max_claims=2),
    )
    engine = SyncEngine(database, lambda _account: sf_client, clock=clock, options=options)
    for phone in PHONES:
        org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": phone})
    engine.run_inbound(account_id)
    for phone in PHONES:
        person = store.by_phone(phone)
        assert person is not None
        store.edit(int(person["id"]), first_name="Later")

    first = engine.run_outbound(account_id)
    assert first.totals == {"updated": 6}  # two claims of three
    assert _pending(database, account_id) == 2
    second = engine.run_outbound(account_id)
    assert second.totals == {"updated": 2}
    assert _pending(database, account_id) == 0
