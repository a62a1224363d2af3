"""Fixtures for the client tests: a frozen clock, recorded sleeps, a client factory.

sfemu in process and password-grant auth come from ``tests/fixtures/sfemu.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.salesforce.auth import GrantAuthenticator
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.retry import RetryPolicy


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
def frozen_clock() -> FrozenClock:
    """Return the client's clock (the emulator keeps its own)."""
    return FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def fake_sleep(frozen_clock: FrozenClock) -> FakeSleep:
    """Return a sleep that records and advances the frozen clock."""
    return FakeSleep(frozen_clock)


@pytest.fixture
def token_posts(sf_http: httpx2.Client) -> list[str]:
    """Record every POST to the emulator's token endpoint (grant types)."""
    seen: list[str] = []

    def hook(request: httpx2.Request) -> None:
        if request.url.path == "/services/oauth2/token":
            seen.append(request.content.decode())

    sf_http.event_hooks["request"].append(hook)
    return seen


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
