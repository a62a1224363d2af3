"""Database fixtures for the domain tests: every test runs on SQLite and on Postgres.

Each backend gets one migrated database per session; each test creates its own account, so
tests never see each other's rows (everything below an account is scoped to it).
Postgres tests skip when the server is unreachable, except under CI=true where they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.store.scratch import DEFAULT_ADMIN_URL, postgres_unreachable, scratch_postgres

ADMIN_URL = os.environ.get("RINGSYNC_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
_names = itertools.count(1)


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
    path: Path = tmp_path_factory.mktemp("domain") / "ringsync.db"
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
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def account_id(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        return create_account(session, f"Account {next(_names)}", clock=clock).id
