"""Fixtures for the page tests: the shared SQLite store, one app per session, people per role.

People come from ``tests/fixtures/web.py``: every test gets fresh accounts with unique emails,
so tests never see each other's rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from fixtures.web import World
from ringsync.clock import FrozenClock
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web import create_app

SECRET_KEY = "page-test-secret-key-0123456789-abcdefghij"


@pytest.fixture(scope="session")
def database(sqlite_database: Database) -> Database:
    """Run the page tests on the SQLite store only."""
    return sqlite_database


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def app(sqlite_url: str, database: Database, clock: FrozenClock, hasher: PasswordHasher) -> FastAPI:
    settings = Settings(secret_key=SECRET_KEY, database_url=sqlite_url)
    return create_app(settings, session_factory=database, clock=clock, password_hasher=hasher)


@pytest.fixture
def people(world: World) -> World:
    """Return account A's admin and agent, account B's admin, and an anonymous client."""
    return world
