"""Fixtures for the operations tests: the shared store, sfemu in process, a runner over both.

The store and the emulator come from ``tests/fixtures``; each test gets its own account, so
tests never see each other's rows or leases. sfemu runs in process behind ringsync's own
Salesforce client (the transport seam).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.users import create_user
from ringsync.operations.handler import OperationEnv
from ringsync.operations.lrn import FakeLrnProvider
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database

_nicknames = itertools.count(1)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def sf_org(contact_center_org: Any) -> Any:
    """Return an emulated org on the test's clock (SystemModstamp moves only when told)."""
    return contact_center_org


@pytest.fixture
def lrn() -> FakeLrnProvider:
    return FakeLrnProvider()


@pytest.fixture
def env(
    database: Database, sf_client: SalesforceClient, clock: FrozenClock, lrn: FakeLrnProvider
) -> OperationEnv:
    return OperationEnv(database, sf_client, clock, lrn)


@pytest.fixture
def runner(env: OperationEnv) -> OperationRunner:
    return create_runner(env)


AddSfUser = Callable[..., str]


@pytest.fixture
def add_sf_user(sf_org: Any) -> AddSfUser:
    """Create a Salesforce user in the emulated org and return its id."""

    def add(email: str, *, active: bool = True, last_name: str = "Owner") -> str:
        n = next(_nicknames)
        return str(
            sf_org.create(
                "User",
                {
                    "Username": f"user{n}@org.sfemu.test",
                    "LastName": last_name,
                    "Email": email,
                    "Alias": f"u{n}"[:8],
                    "CommunityNickname": f"nick{n}",
                    "IsActive": active,
                    "ProfileId": sf_org.standard_profile_id,
                },
            )
        )

    return add


AddUser = Callable[..., int]


@pytest.fixture
def add_user(database: Database, account_id: int, clock: FrozenClock) -> AddUser:
    """Create one of our users in the test's account and return its id."""

    def add(email: str, *, status: str = "active", kind: str = "user") -> int:
        with database.write() as session:
            return create_user(
                session, account_id, email=email, status=status, kind=kind, clock=clock
            ).id

    return add
