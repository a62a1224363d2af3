"""Fixtures for the REST data, collections, composite and bulk tests: a signed-in client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from sfemu.app import create_emulator_app
from sfemu.org import Org
from sfemu.state import EmulatorState

VERSION = "v59.0"
BASE = f"/services/data/{VERSION}"


def sign_in(test_client: TestClient) -> None:
    """Get a token by the password grant and send it on every later request."""
    reply = test_client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "sfemu-client",
            "client_secret": "sfemu-secret",
            "username": "admin@sfemu.test",
            "password": "sfemu",
        },
    )
    assert reply.status_code == 200, reply.text
    test_client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"


@pytest.fixture
def client(org: Org) -> Iterator[TestClient]:
    """Return a client of a fresh emulator, signed in as the admin with a Bearer token."""
    app = create_emulator_app(org)
    with TestClient(app, base_url="https://sfemu.test") as test_client:
        sign_in(test_client)
        yield test_client


@pytest.fixture
def relogin(client: TestClient) -> Callable[[], None]:
    """Return a function that signs ``client`` in again (after moving the clock)."""
    return lambda: sign_in(client)


@pytest.fixture
def emu(client: TestClient) -> EmulatorState:
    """Return the emulator state behind ``client``."""
    state: EmulatorState = client.app.state.sfemu  # type: ignore[attr-defined] -- Starlette app
    return state
