"""Fixtures for runtime tests: SQLite files and a fresh Postgres database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ringsync.store.db import Database, open_database

PG_ADMIN_URL = os.environ.get(
    "RINGSYNC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true requires it")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """Open a migrated, file-backed SQLite store (threads need a real file)."""
    database = open_database(f"sqlite:///{tmp_path / 'runtime.db'}")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Create a fresh migrated Postgres database for the session and drop it afterwards."""
    name = f"ringsync_rt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        _unavailable("Postgres at 127.0.0.1:5432", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        open_database(url).dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    """Open the session's Postgres store."""
    database = open_database(pg_url, migrate=False)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """Run a test on SQLite and on Postgres."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(fixture)
    return database
