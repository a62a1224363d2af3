"""Schemathesis against the published OpenAPI of the admin API: no input may cause a 5xx.

The app runs in process with sfemu behind it; a signed-in admin (session cookie and CSRF
header) sends every generated request, so the handlers themselves are exercised, not only the
authentication in front of them. Every error must come back in the one JSON error shape, with
no stack trace. Examples per operation are kept small so the file stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web import create_app
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE, SalesforceAccess

PASSWORD = "correct horse battery staple"
KEY = generate_key()
OPENAPI = "/api/v1/openapi.json"
EXAMPLES = 8
DISCONNECT = ("DELETE", "/api/v1/admin/integration")


@pytest.fixture(scope="module")
def fuzz_http() -> Iterator[httpx2.Client]:
    from sfemu.app import create_emulator_app
    from sfemu.org import Org

    client = TestClient(create_emulator_app(Org()), base_url="https://sfemu.test")
    yield client
    client.close()


@pytest.fixture(scope="module")
def fuzz_app(db_path: Any, database: Database, fuzz_http: httpx2.Client) -> Any:
    """Build an app with a signed-in, connected admin; return it with the admin's credentials."""
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    app = create_app(
        Settings(
            secret_key="fuzz-secret-key-0123456789-abcdefghijklmnop",
            database_url=f"sqlite:///{db_path}",
            encryption_keys=KEY,
            salesforce_allowed_hosts="sfemu.test",
        ),
        session_factory=database,
        clock=clock,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
    )
    access = SalesforceAccess(
        http=fuzz_http,
        hosts=HostPolicy(["sfemu.test"]),
        cipher=lambda: TokenCipher([KEY]),
        clock=clock,
        retry=RetryPolicy.no_retry(),
    )
    setattr(app.state, STATE_ATTRIBUTE, access)
    with database.write() as session:
        account = create_account(session, "Fuzzed account", clock=clock).id
        hashed = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
        create_user(
            session,
            account,
            email="fuzz-admin@example.com",
            name="Fuzz Admin",
            role="admin",
            password_hash=hashed,
            clock=clock,
        )
    with TestClient(app) as client:
        signed_in = client.post(
            "/api/v1/session",
            json={"email": "fuzz-admin@example.com", "password": PASSWORD},
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = signed_in.json()["csrf_token"]
        connected = client.post(
            "/api/v1/admin/integration/connect",
            headers={"X-CSRF-Token": csrf},
            json={
                "method": "client_credentials",
                "login_url": "https://sfemu.test",
                "client_id": "sfemu-client",
                "client_secret": "sfemu-secret",
            },
        )
        assert connected.status_code == 200, connected.text
        cookies = dict(client.cookies.items())
    return {"app": app, "csrf": csrf, "cookies": cookies}


@pytest.fixture(scope="module")
def operations(fuzz_app: Any) -> list[Any]:
    """Return every admin operation of the published OpenAPI document."""
    published = schemathesis.openapi.from_asgi(OPENAPI, fuzz_app["app"])
    schema = published.include(path_regex="^/api/v1/admin")
    return [result.ok() for result in schema.get_all_operations()]


def test_the_admin_api_is_published(operations: list[Any]) -> None:
    found = {(op.method.upper(), op.path) for op in operations}
    assert len(found) == 35
    assert ("GET", "/api/v1/admin/integration/oauth/callback") in found


def fuzz(operation: Any, fuzz_app: Any, answered: dict[str, set[int]]) -> None:
    """Send generated requests to one operation as the signed-in admin; check every answer."""
    label = f"{operation.method.upper()} {operation.path}"
    headers = {"X-CSRF-Token": fuzz_app["csrf"]}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers, cookies=fuzz_app["cookies"])
        where = f"{case.method} {case.formatted_path}"
        answered.setdefault(label, set()).add(response.status_code)
        assert response.status_code < 500, f"{where}: {response.text}"
        assert "Traceback" not in response.text, where
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error"}, f"{where}: {response.text}"
            assert set(body["error"]) == {"code", "message", "details", "correlation_id"}

    check()


def test_no_input_causes_a_server_error(fuzz_app: Any, operations: list[Any]) -> None:
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    # Disconnecting last keeps Salesforce connected for the operations that need it.
    last = [op for op in operations if (op.method.upper(), op.path) == DISCONNECT]
    for operation in [op for op in operations if op not in last] + last:
        try:
            fuzz(operation, fuzz_app, answered)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert failures == []
    # The admin was signed in: many operations answered 2xx at least once, none answered 401.
    succeeded = [op for op, codes in answered.items() if any(c < 300 for c in codes)]
    assert len(succeeded) >= 18, answered
    assert not [op for op, codes in answered.items() if 401 in codes]
