"""Fixtures for the admin API tests: one migrated SQLite store, sfemu in process, people per role.

The app reaches the emulator through the Salesforce access seam (``app.state``), at
https://sfemu.test. Browser clients use http://localhost so the OAuth redirect URI is one the
emulator's connected app accepts. Every test gets fresh accounts, so tests never see each
other's rows; passwords are hashed with cheap argon2 parameters to keep the tests fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import upgrade
from ringsync.web import create_app
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE, SalesforceAccess

SECRET_KEY = "admin-test-secret-key-0123456789-abcdefghijkl"
PASSWORD = "correct horse battery staple"
SFEMU_URL = "https://sfemu.test"
CLIENT_ID = "sfemu-client"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret
BASE_URL = "http://localhost"
ENCRYPTION_KEY = generate_key()
_serial = itertools.count(1)


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("web_admin") / "ringsync.db"
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
def sf_config(request: pytest.FixtureRequest) -> Any:
    """Return the emulator's config; a test may pass options with indirect parametrize."""
    from sfemu.state import EmulatorConfig

    return EmulatorConfig(**getattr(request, "param", {}))


@pytest.fixture
def sf_org() -> Any:
    from sfemu.org import Org

    return Org()


@pytest.fixture
def sf_http(sf_org: Any, sf_config: Any) -> Iterator[httpx2.Client]:
    """Return an httpx2 client that reaches the emulator in process at https://sfemu.test."""
    from sfemu.app import create_emulator_app

    client = TestClient(create_emulator_app(sf_org, config=sf_config), base_url=SFEMU_URL)
    yield client
    client.close()


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(
        secret_key=SECRET_KEY,
        database_url=f"sqlite:///{db_path}",
        encryption_keys=ENCRYPTION_KEY,
        salesforce_allowed_hosts="sfemu.test",
    )


@pytest.fixture
def access(sf_http: httpx2.Client, clock: FrozenClock) -> SalesforceAccess:
    return SalesforceAccess(
        http=sf_http,
        hosts=HostPolicy(["sfemu.test"]),
        cipher=lambda: TokenCipher([ENCRYPTION_KEY]),
        clock=clock,
        retry=RetryPolicy.no_retry(),
    )


@pytest.fixture
def app(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    access: SalesforceAccess,
) -> FastAPI:
    """Build the app with no runner, so operations run inside the request."""
    built = create_app(settings, session_factory=database, clock=clock, password_hasher=hasher)
    setattr(built.state, STATE_ATTRIBUTE, access)
    return built


@dataclass
class Person:
    """A user with a password, and a client that is signed in as them."""

    account_id: int
    user_id: int
    email: str
    role: str
    client: TestClient
    csrf: str = ""

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

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request with the CSRF header (harmless on reads)."""
        return self.client.request(method, path, headers=self.headers, **kwargs)


@dataclass
class World:
    """Account A (admin, agent), account B (admin), and an anonymous client."""

    admin: Person
    agent: Person
    other_admin: Person
    anonymous: TestClient


def make_account(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        return create_account(session, f"Admin API account {next(_serial)}", clock=clock).id


def make_person(
    app: FastAPI,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    account_id: int,
    role: str,
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
    client = TestClient(app, base_url=BASE_URL)
    return Person(account_id, user.id, email, role, client)


@pytest.fixture
def world(
    app: FastAPI, database: Database, clock: FrozenClock, hasher: PasswordHasher
) -> Iterator[World]:
    first = make_account(database, clock)
    second = make_account(database, clock)
    admin = make_person(app, database, clock, hasher, first, "admin").sign_in()
    agent = make_person(app, database, clock, hasher, first, "agent").sign_in()
    other = make_person(app, database, clock, hasher, second, "admin").sign_in()
    anonymous = TestClient(app, base_url=BASE_URL)
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


def _connect_with_client_credentials(person: Person) -> Any:
    """Connect the person's account to sfemu with client credentials; return the response."""
    return person.call(
        "POST",
        "/api/v1/admin/integration/connect",
        json={
            "method": "client_credentials",
            "login_url": SFEMU_URL,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )


@pytest.fixture
def connect() -> Any:
    """Return a function that connects a person's account to sfemu (client credentials)."""
    return _connect_with_client_credentials


@pytest.fixture
def connected(world: World) -> World:
    """Connect account A to sfemu (client credentials)."""
    response = _connect_with_client_credentials(world.admin)
    assert response.status_code == 200, response.text
    return world
