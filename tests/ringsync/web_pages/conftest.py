"""Fixtures for the page tests: one migrated SQLite store, an app per test, people per role.

Every test gets fresh accounts with unique emails, so tests never see each other's rows.
Passwords are hashed with cheap argon2 parameters to keep the tests fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.settings import Settings
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.web import create_app

SECRET_KEY = "page-test-secret-key-0123456789-abcdefghij"
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("pages") / "ringsync.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def database(db_path: Path) -> Iterator[Database]:
    db = Database(create_db_engine(f"sqlite:///{db_path}"))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def app(db_path: Path, database: Database, clock: FrozenClock, hasher: PasswordHasher) -> FastAPI:
    settings = Settings(secret_key=SECRET_KEY, database_url=f"sqlite:///{db_path}")
    return create_app(settings, session_factory=database, clock=clock, password_hasher=hasher)


@dataclass
class Person:
    """A signed-in user with a client carrying the session cookie."""

    account_id: int
    user_id: int
    email: str
    client: TestClient
    csrf: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}


@dataclass
class People:
    """Account A's admin and agent, account B's admin, and an anonymous client."""

    admin: Person
    agent: Person
    other_admin: Person
    anonymous: TestClient


def _account(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        return create_account(session, f"Page account {next(_serial)}", clock=clock).id


def _person(
    app: FastAPI,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    account_id: int,
    role: str,
) -> Person:
    email = f"page-{role}{next(_serial)}@example.com"
    with database.write() as session:
        user = create_user(
            session,
            account_id,
            email=email,
            name=f"{role.title()} Person",
            role=role,
            password_hash=hasher.hash(PASSWORD),
            clock=clock,
        )
    client = TestClient(app)
    response = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Person(account_id, user.id, email, client, response.json()["csrf_token"])


@pytest.fixture
def people(
    app: FastAPI, database: Database, clock: FrozenClock, hasher: PasswordHasher
) -> Iterator[People]:
    first = _account(database, clock)
    second = _account(database, clock)
    admin = _person(app, database, clock, hasher, first, "admin")
    agent = _person(app, database, clock, hasher, first, "agent")
    other = _person(app, database, clock, hasher, second, "admin")
    anonymous = TestClient(app)
    yield People(admin, agent, other, anonymous)
    for client in (admin.client, agent.client, other.client, anonymous):
        client.close()
