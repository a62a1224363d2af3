"""Fixtures for the web tests: one migrated SQLite store, an app per test, people per role.

Every test gets fresh accounts (with unique emails), so tests never see each other's rows.
Passwords are hashed with cheap argon2 parameters to keep the tests fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)


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
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("web") / "ringsync.db"
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


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(secret_key=SECRET_KEY, database_url=f"sqlite:///{db_path}")


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


@dataclass
class Person:
    """A user with a password, and a client that can sign them in."""

    account_id: int
    user_id: int
    email: str
    role: str
    client: TestClient
    csrf: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def sign_in(self) -> Person:
        response = self.client.post(
            "/api/v1/session", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        return self

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}


@dataclass
class World:
    """Account A (admin, agent), account B (admin), and an anonymous client."""

    admin: Person
    agent: Person
    other_admin: Person
    anonymous: TestClient


def make_account(database: Database, clock: FrozenClock, hasher: PasswordHasher) -> int:
    with database.write() as session:
        return create_account(session, f"Web account {next(_serial)}", clock=clock).id


def make_person(
    app: FastAPI,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    account_id: int,
    role: str,
    **client_options: Any,
) -> Person:
    email = f"{role}{next(_serial)}@example.com"
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
    client = TestClient(app, **client_options)
    return Person(account_id, user.id, email, role, client)


@pytest.fixture
def world(
    app: FastAPI, database: Database, clock: FrozenClock, hasher: PasswordHasher
) -> Iterator[World]:
    first = make_account(database, clock, hasher)
    second = make_account(database, clock, hasher)
    admin = make_person(app, database, clock, hasher, first, "admin").sign_in()
    agent = make_person(app, database, clock, hasher, first, "agent").sign_in()
    other = make_person(app, database, clock, hasher, second, "admin").sign_in()
    anonymous = TestClient(app)
    yield World(admin, agent, other, anonymous)
    for client in (admin.client, agent.client, other.client, anonymous):
        client.close()


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check the one error shape and return its inner object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "correlation_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["correlation_id"] == response.headers["X-Correlation-ID"]
    return error


@pytest.fixture
def expect_error() -> Any:
    return assert_error
