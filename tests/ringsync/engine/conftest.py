"""Fixtures for engine scenarios: sfemu in process, the shared store, one frozen clock for both.

The emulated org and the engine share a FrozenClock, so SystemModstamp values, cursors and the
run's start move only when a test says so (same-second scenarios are exact).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.activities import record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    find_contact_by_phone,
    get_contact,
    list_contacts,
    update_contact,
)
from ringsync.domain.tracking import ActivityEvent
from ringsync.domain.users import create_user
from ringsync.salesforce.auth import GrantAuthenticator, PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database
from ringsync.store.repositories.outbox import list_rows
from ringsync.store.repositories.sync_links import LinkRow, list_links
from ringsync.store.repositories.sync_log import StoredEntry, list_entries
from ringsync.store.repositories.sync_state import map_user
from ringsync.sync.engine import EngineOptions, SyncEngine
from ringsync.sync.inbound import InboundOptions


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC))


@pytest.fixture
def sf_org(contact_center_org: Any) -> Any:
    return contact_center_org


@pytest.fixture
def org(sf_org: Any) -> Any:
    return sf_org


@pytest.fixture
def sf_stats(sf_app: Any) -> Any:
    return sf_app.state.sfemu.stats


@pytest.fixture
def sf_retry() -> RetryPolicy:
    return RetryPolicy.seeded(3, max_attempts=3, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def engine_options() -> EngineOptions:
    return EngineOptions(inbound=InboundOptions(bulk_threshold=None))


@pytest.fixture
def woken() -> list[int]:
    return []


@pytest.fixture
def engine(
    database: Database,
    sf_client: SalesforceClient,
    clock: FrozenClock,
    engine_options: EngineOptions,
    woken: list[int],
) -> SyncEngine:
    return SyncEngine(
        database,
        lambda _account: sf_client,
        clock=clock,
        options=engine_options,
        wake=woken.append,
    )


@pytest.fixture
def single_try_client(
    sf_http: httpx2.Client, password_auth: GrantAuthenticator, clock: FrozenClock
) -> SalesforceClient:
    """A client that tries each call once and never sleeps (for tests that count the calls)."""
    return SalesforceClient(
        sf_http,
        password_auth,
        retry=RetryPolicy.seeded(5, max_attempts=1),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )


EditLeads = Callable[[Sequence[str], str], list[str]]


@pytest.fixture
def edited_leads(engine: SyncEngine, org: Any, store: Store, account_id: int) -> EditLeads:
    """Return ``edit(phones, first_name)``: one Lead per phone, pulled, then each contact's first
    name edited (one pending outbox row each); it returns the Lead ids."""

    def edit(phones: Sequence[str], first_name: str) -> list[str]:
        leads = [
            str(org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": phone}))
            for phone in phones
        ]
        engine.run_inbound(account_id)
        for phone in phones:
            person = store.by_phone(phone)
            assert person is not None
            store.edit(int(person["id"]), first_name=first_name)
        return leads

    return edit


LOST_WRITE_ATTEMPTS = 3  # every attempt of a lost write is dropped


@pytest.fixture
def socket_engine(
    sf_app: Any, database: Database, clock: FrozenClock, tmp_path: Any
) -> Iterator[SyncEngine]:
    """Return an engine whose client reaches sfemu over TLS (so a dropped write is real)."""
    from sfemu.server import start_server

    server = start_server(sf_app, tls=True, cert_dir=tmp_path / "tls")
    assert server.ca_path is not None
    http = httpx2.Client(verify=ssl.create_default_context(cafile=str(server.ca_path)), timeout=10)
    hosts = HostPolicy([f"127.0.0.1:{server.port}", f"localhost:{server.port}"])
    auth = PasswordAuth(
        http,
        server.base_url,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's published demo secret
        username="admin@sfemu.test",
        password="sfemu",  # sfemu's published demo password
    )
    client = SalesforceClient(
        http,
        auth,
        retry=RetryPolicy.seeded(
            3, max_attempts=LOST_WRITE_ATTEMPTS, base_delay=0.01, max_delay=0.02
        ),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )
    options = EngineOptions(inbound=InboundOptions(bulk_threshold=None))
    yield SyncEngine(database, lambda _account: client, clock=clock, options=options)
    http.close()
    server.stop()


@pytest.fixture
def lose_response(sf_app: Any) -> Callable[[SyncEngine, int], None]:
    """Return ``lose(engine, account_id)``: send the outbox with every attempt of the write
    applied and its response dropped (the outcome stays unknown; the row waits for a retry)."""

    def lose(engine: SyncEngine, account_id: int) -> None:
        sf_app.state.sfemu.faults.add(
            {"kind": "drop_after_write", "endpoint": "composite/*", "count": LOST_WRITE_ATTEMPTS}
        )
        run = engine.run_outbound(account_id)
        assert run.error is None
        assert run.totals == {"skipped": 1}  # released: "temporary Salesforce error; will retry"
        sf_app.state.sfemu.faults.clear()

    return lose


@dataclass
class Store:
    """Read and write the test account's side through the domain services."""

    database: Database
    account_id: int
    clock: FrozenClock

    def add_contact(self, **values: Any) -> int:
        with self.database.write() as session:
            change = create_contact(session, self.account_id, values, clock=self.clock)
        return change.contact.id

    def edit(self, contact_id: int, **changes: Any) -> None:
        with self.database.write() as session:
            update_contact(
                session,
                self.account_id,
                contact_id,
                changes,
                origin=Origin.RINGSYNC,
                clock=self.clock,
            )

    def contact(self, contact_id: int) -> dict[str, Any]:
        with self.database.read() as session:
            return dict(get_contact(session, self.account_id, contact_id).values)

    def by_phone(self, phone: str) -> dict[str, Any] | None:
        with self.database.read() as session:
            found = find_contact_by_phone(session, self.account_id, phone)
        return None if found is None else {"id": found.id, **found.values}

    def count_contacts(self) -> int:
        with self.database.read() as session:
            return len(list_contacts(session, self.account_id, limit=1000))

    def log(self, action: str | None = None) -> list[StoredEntry]:
        with self.database.read() as session:
            return list_entries(session, self.account_id, action=action, limit=5000)

    def links(self) -> list[LinkRow]:
        with self.database.read() as session:
            return list_links(session, self.account_id)

    def outbox(self, status: str | None = None) -> list[Any]:
        with self.database.read() as session:
            return list_rows(session, self.account_id, status=status)

    def add_user(self, email: str) -> int:
        with self.database.write() as session:
            return create_user(
                session, self.account_id, email=email, name=email, clock=self.clock
            ).id

    def map_user(self, user_id: int, salesforce_user_id: str, email: str) -> None:
        with self.database.write() as session:
            map_user(session, self.account_id, user_id, salesforce_user_id, email, self.clock.now())

    def activity(self, contact_id: int, event: ActivityEvent) -> None:
        with self.database.write() as session:
            record_activity(session, self.account_id, contact_id, event, clock=self.clock)


@pytest.fixture
def store(database: Database, account_id: int, clock: FrozenClock) -> Store:
    return Store(database, account_id, clock)
