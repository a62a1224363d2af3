"""Fixtures wiring sfemu in process under ringsync's Salesforce client (tests only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.salesforce.auth import GrantAuthenticator, PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy

SFEMU_URL = "https://sfemu.test"
CLIENT_ID = "sfemu-client"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret
ADMIN_USERNAME = "admin@sfemu.test"
ADMIN_PASSWORD = "sfemu"  # sfemu's published demo password


@dataclass
class FakeSleep:
    """Record requested sleeps and move the frozen clock instead of waiting."""

    clock: FrozenClock
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        """Pretend to sleep ``seconds``."""
        self.calls.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def hosts() -> HostPolicy:
    """Allow only the in-process emulator's host."""
    return HostPolicy(["sfemu.test"])


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """Return the client's clock (the emulator keeps its own)."""
    return FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def fake_sleep(frozen_clock: FrozenClock) -> FakeSleep:
    """Return a sleep that records and advances the frozen clock."""
    return FakeSleep(frozen_clock)


@pytest.fixture
def sf_config() -> Any:
    """Return the emulator config (tests override this fixture for rotation etc.)."""
    from sfemu.state import EmulatorConfig

    return EmulatorConfig(query_batch_size=2000)


@pytest.fixture
def sf_org() -> Any:
    """Return a fresh emulated org."""
    from sfemu.org import Org

    return Org()


@pytest.fixture
def sf_app(sf_org: Any, sf_config: Any) -> Any:
    """Return the emulator ASGI app over ``sf_org``."""
    from sfemu.app import create_emulator_app

    return create_emulator_app(sf_org, config=sf_config)


@pytest.fixture
def sf_http(sf_app: Any) -> Iterator[httpx2.Client]:
    """Return an httpx2 client that reaches the emulator in process at https://sfemu.test."""
    client = TestClient(sf_app, base_url=SFEMU_URL)
    yield client
    client.close()


@pytest.fixture
def token_posts(sf_http: httpx2.Client) -> list[str]:
    """Record every POST to the emulator's token endpoint (grant types)."""
    seen: list[str] = []

    def hook(request: httpx2.Request) -> None:
        if request.url.path == "/services/oauth2/token":
            seen.append(request.content.decode())

    sf_http.event_hooks["request"].append(hook)
    return seen


@pytest.fixture
def password_auth(sf_http: httpx2.Client, hosts: HostPolicy) -> GrantAuthenticator:
    """Return password-grant auth as the emulator's admin."""
    return PasswordAuth(
        sf_http,
        SFEMU_URL,
        hosts,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=ADMIN_USERNAME,
        password=ADMIN_PASSWORD,
    )


MakeClient = Callable[..., SalesforceClient]


@pytest.fixture
def make_client(
    sf_http: httpx2.Client,
    password_auth: GrantAuthenticator,
    frozen_clock: FrozenClock,
    fake_sleep: FakeSleep,
) -> MakeClient:
    """Return a factory for clients over the in-process emulator (no real sleeping)."""

    def build(**overrides: Any) -> SalesforceClient:
        options: dict[str, Any] = {
            "retry": RetryPolicy.seeded(11, max_attempts=4, base_delay=0.5, max_delay=8.0),
            "budget": ApiBudget(frozen_clock),
            "clock": frozen_clock,
            "sleep": fake_sleep,
        }
        options.update(overrides)
        auth = options.pop("auth", password_auth)
        return SalesforceClient(sf_http, auth, **options)

    return build


@pytest.fixture
def sf_client(make_client: MakeClient) -> SalesforceClient:
    """Return a client over the in-process emulator."""
    return make_client()


@pytest.fixture
def sf_state(sf_app: Any) -> Any:
    """Return the emulator's state (stats, faults, tokens, org)."""
    return sf_app.state.sfemu
