"""Fixtures for the admin API tests: the shared SQLite store, sfemu in process, people per role.

The app reaches the emulator through the Salesforce access seam (``app.state``), at
https://sfemu.test. Browser clients use http://localhost so the OAuth redirect URI is one the
emulator's connected app accepts. The store, the emulator and the people come from
``tests/fixtures``.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from fixtures.sfemu import CLIENT_ID, CLIENT_SECRET, SFEMU_HOST, SFEMU_URL
from fixtures.web import Person, World
from ringsync.clock import FrozenClock
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web import create_app
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE, SalesforceAccess

SECRET_KEY = "admin-test-secret-key-0123456789-abcdefghijkl"
BASE_URL = "http://localhost"
ENCRYPTION_KEY = generate_key()


@pytest.fixture(scope="session")
def database(sqlite_database: Database) -> Database:
    """Run the admin API tests on the SQLite store only."""
    return sqlite_database


@pytest.fixture
def web_base_url() -> str:
    return BASE_URL


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(
        secret_key=SECRET_KEY,
        database_url=sqlite_url,
        encryption_keys=ENCRYPTION_KEY,
        salesforce_allowed_hosts=SFEMU_HOST,
    )


@pytest.fixture
def access(sf_http: httpx2.Client, clock: FrozenClock) -> SalesforceAccess:
    return SalesforceAccess(
        http=sf_http,
        hosts=HostPolicy([SFEMU_HOST]),
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
