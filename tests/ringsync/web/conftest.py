"""Fixtures for the web tests: the shared SQLite store and an app per test with a fake runner.

People per role (``world``) and the error-shape check (``expect_error``) come from
``tests/fixtures/web.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from ringsync.clock import FrozenClock
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web import create_app

SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"


class FakeRunner:
    """Record wake-ups instead of syncing."""

    def __init__(self) -> None:
        self.woken: list[int] = []
        self.submitted: list[tuple[str, dict[str, Any]]] = []

    def submit(self, task: str, /, **kwargs: Any) -> str:
        self.submitted.append((task, kwargs))
        return f"job-{len(self.submitted)}"

    def wake(self, account_id: int) -> None:
        self.woken.append(account_id)

    def start(self) -> None:
        return None

    def stop(self, timeout: float | None = None) -> bool:
        del timeout
        return True


@pytest.fixture(scope="session")
def database(sqlite_database: Database) -> Database:
    """Run the web tests on the SQLite store only."""
    return sqlite_database


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(secret_key=SECRET_KEY, database_url=sqlite_url)


@pytest.fixture
def app(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    runner: FakeRunner,
    hasher: PasswordHasher,
) -> FastAPI:
    return create_app(
        settings, session_factory=database, clock=clock, runner=runner, password_hasher=hasher
    )
