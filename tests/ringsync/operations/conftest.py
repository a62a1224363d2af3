"""Fixtures for the operations tests: a migrated store, sfemu in process, a runner over both.

The store is one migrated database per backend and session (SQLite always, Postgres when it is
reachable); each test gets its own account, so tests never see each other's rows or leases.
sfemu runs in process behind ringsync's own Salesforce client (the transport seam).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.domain.users import create_user
from ringsync.operations.handler import OperationEnv
from ringsync.operations.lrn import FakeLrnProvider
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.store.scratch import DEFAULT_ADMIN_URL, postgres_unreachable, scratch_postgres

SFEMU_URL = "https://sfemu.test"
ADMIN_URL = os.environ.get("RINGSYNC_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
_names = itertools.count(1)
_nicknames = itertools.count(1)


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
    path: Path = tmp_path_factory.mktemp("operations") / "ringsync.db"
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
    return FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def account_id(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        return create_account(session, f"Ops account {next(_names)}", clock=clock).id


@pytest.fixture
def sf_org(clock: FrozenClock) -> Any:
    """Return an emulated org on the test's clock (SystemModstamp moves only when told)."""
    from sfemu.org import Org
    from sfemu.seed import define_contact_center_fields

    org = Org(clock=clock.now)
    define_contact_center_fields(org)
    return org


@pytest.fixture
def sf_http(sf_org: Any) -> Iterator[httpx2.Client]:
    from sfemu.app import create_emulator_app
    from sfemu.state import EmulatorConfig

    app = create_emulator_app(sf_org, config=EmulatorConfig(query_batch_size=2000))
    client = TestClient(app, base_url=SFEMU_URL)
    yield client
    client.close()


@pytest.fixture
def sf_client(sf_http: httpx2.Client, clock: FrozenClock) -> SalesforceClient:
    auth = PasswordAuth(
        sf_http,
        SFEMU_URL,
        HostPolicy(["sfemu.test"]),
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's published demo secret
        username="admin@sfemu.test",
        password="sfemu",  # sfemu's published demo password
    )
    return SalesforceClient(
        sf_http,
        auth,
        retry=RetryPolicy.seeded(7, max_attempts=2, base_delay=0.01, max_delay=0.02),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )


@pytest.fixture
def lrn() -> FakeLrnProvider:
    return FakeLrnProvider()


@pytest.fixture
def env(
    database: Database, sf_client: SalesforceClient, clock: FrozenClock, lrn: FakeLrnProvider
) -> OperationEnv:
    return OperationEnv(database, sf_client, clock, lrn)


@pytest.fixture
def runner(env: OperationEnv) -> OperationRunner:
    return create_runner(env)


AddSfUser = Callable[..., str]


@pytest.fixture
def add_sf_user(sf_org: Any) -> AddSfUser:
    """Create a Salesforce user in the emulated org and return its id."""

    def add(email: str, *, active: bool = True, last_name: str = "Owner") -> str:
        n = next(_nicknames)
        return str(
            sf_org.create(
                "User",
                {
                    "Username": f"user{n}@org.sfemu.test",
                    "LastName": last_name,
                    "Email": email,
                    "Alias": f"u{n}"[:8],
                    "CommunityNickname": f"nick{n}",
                    "IsActive": active,
                    "ProfileId": sf_org.standard_profile_id,
                },
            )
        )

    return add


AddUser = Callable[..., int]
Configure = Callable[..., None]


@pytest.fixture
def configure(database: Database, account_id: int, clock: FrozenClock) -> Configure:
    """Save sync settings for the test's account (draft, then save, as the admin page does)."""

    def save(**changes: Any) -> None:
        with database.write() as session:
            edit_draft(session, account_id, changes, edited_by="admin@test", clock=clock)
            save_draft(session, account_id, saved_by="admin@test", clock=clock)

    return save


@pytest.fixture
def add_user(database: Database, account_id: int, clock: FrozenClock) -> AddUser:
    """Create one of our users in the test's account and return its id."""

    def add(email: str, *, status: str = "active", kind: str = "user") -> int:
        with database.write() as session:
            return create_user(
                session, account_id, email=email, status=status, kind=kind, clock=clock
            ).id

    return add
