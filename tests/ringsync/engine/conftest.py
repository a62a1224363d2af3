"""Fixtures for engine scenarios: sfemu in process, one SQLite store, one frozen clock for both.

The emulated org and the engine share a FrozenClock, so SystemModstamp values, cursors and the
run's start move only when a test says so (same-second scenarios are exact).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.activities import record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    find_contact_by_phone,
    get_contact,
    list_contacts,
    update_contact,
)
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.domain.tracking import ActivityEvent
from ringsync.domain.users import create_user
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.store.repositories.outbox import list_rows
from ringsync.store.repositories.sync_links import LinkRow, list_links
from ringsync.store.repositories.sync_log import StoredEntry, list_entries
from ringsync.store.repositories.sync_state import map_user
from ringsync.store.scratch import DEFAULT_ADMIN_URL, postgres_unreachable, scratch_postgres
from ringsync.sync.engine import EngineOptions, SyncEngine
from ringsync.sync.inbound import InboundOptions

SFEMU_URL = "https://sfemu.test"
_names = itertools.count(1)


ADMIN_URL = os.environ.get("RINGSYNC_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = postgres_unreachable(ADMIN_URL)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the Postgres tests must run)")
        pytest.skip(f"{reason}; start Postgres or set RINGSYNC_TEST_POSTGRES_URL")
    with scratch_postgres(ADMIN_URL) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("engine") / "ringsync.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue(f"{request.param}_url")
    db = Database(create_db_engine(url))
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC))


@pytest.fixture
def org(clock: FrozenClock) -> Any:
    from sfemu.org import Org
    from sfemu.seed import define_contact_center_fields

    emulated = Org(clock=clock.now)
    define_contact_center_fields(emulated)
    return emulated


@pytest.fixture
def sf_app(org: Any) -> Any:
    from sfemu.app import create_emulator_app

    return create_emulator_app(org)


@pytest.fixture
def sf_http(sf_app: Any) -> Iterator[httpx2.Client]:
    client = TestClient(sf_app, base_url=SFEMU_URL)
    yield client
    client.close()


@pytest.fixture
def sf_stats(sf_app: Any) -> Any:
    return sf_app.state.sfemu.stats


@pytest.fixture
def sf_client(sf_http: httpx2.Client, clock: FrozenClock) -> SalesforceClient:
    hosts = HostPolicy(["sfemu.test"])
    auth = PasswordAuth(
        sf_http,
        SFEMU_URL,
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's published demo secret
        username="admin@sfemu.test",
        password="sfemu",  # sfemu's published demo password
    )
    return SalesforceClient(
        sf_http,
        auth,
        retry=RetryPolicy.seeded(3, max_attempts=3, base_delay=0.01, max_delay=0.02),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )


@pytest.fixture
def account_id(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        return create_account(session, f"Engine {next(_names)}", clock=clock).id


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


@dataclass
class Settings:
    """Save sync settings for the test's account."""

    database: Database
    account_id: int
    clock: FrozenClock

    def __call__(self, **changes: Any) -> None:
        with self.database.write() as session:
            edit_draft(session, self.account_id, changes, edited_by="admin@test", clock=self.clock)
            save_draft(session, self.account_id, saved_by="admin@test", clock=self.clock)


@pytest.fixture
def configure(database: Database, account_id: int, clock: FrozenClock) -> Callable[..., None]:
    return Settings(database, account_id, clock)


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
