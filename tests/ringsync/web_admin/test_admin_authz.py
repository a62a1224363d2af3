"""Every admin route x role: anonymous 401, agent 403, admin 2xx, another account's admin 404.

Also: a cookie-authenticated change without ``X-CSRF-Token`` is refused on every write route,
and an integration's API token (not a person) is refused on every admin route.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import create_contact
from ringsync.operations import store as operation_store
from ringsync.operations.model import OperationKind
from ringsync.store.db import Database
from ringsync.store.repositories import sync_failed, sync_log

A = "/api/v1/admin"
_phones = itertools.count(100)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: Any = None
    ok: int = 200
    scoped: bool = False  # names one of the account's rows: another account's admin gets 404


ROUTES = [
    Route("GET", f"{A}/integration"),
    Route(
        "POST",
        f"{A}/integration/oauth/start",
        {"login_url": "https://sfemu.test", "client_id": "sfemu-client"},
    ),
    Route("GET", f"{A}/integration/oauth/callback", ok=400),
    Route(
        "POST",
        f"{A}/integration/connect",
        {
            "method": "client_credentials",
            "login_url": "https://sfemu.test",
            "client_id": "sfemu-client",
            "client_secret": "sfemu-secret",
        },
    ),
    Route("POST", f"{A}/integration/check"),
    Route("GET", f"{A}/settings/draft"),
    Route("PUT", f"{A}/settings/draft", {"poll_interval_seconds": 600}),
    Route("POST", f"{A}/settings/validate"),
    Route("POST", f"{A}/settings/save"),
    Route("GET", f"{A}/mappings/lead"),
    Route(
        "POST", f"{A}/mappings/lead", {"ringsync_property": "fax", "salesforce_field": "Fax"}, 201
    ),
    Route("PATCH", f"{A}/mappings/lead/email", {"direction": "from_salesforce"}),
    Route("DELETE", f"{A}/mappings/lead/email"),
    Route("GET", f"{A}/settings/versions"),
    Route("GET", f"{A}/settings/versions/{{version}}", scoped=True),
    Route("GET", f"{A}/settings/compare?a={{version}}&b={{version}}", scoped=True),
    Route("POST", f"{A}/settings/versions/{{version}}/restore", scoped=True),
    Route("GET", f"{A}/settings/export"),
    Route("POST", f"{A}/settings/import", "export"),
    Route("POST", f"{A}/operations/sync_users/preview"),
    Route("POST", f"{A}/operations/sync_users/run", ok=202),
    Route("GET", f"{A}/operations"),
    Route("GET", f"{A}/operations/{{operation}}", scoped=True),
    Route("POST", f"{A}/operations/{{operation}}/cancel", scoped=True),
    Route("POST", f"{A}/users/sync", ok=202),
    Route("GET", f"{A}/users/sync"),
    Route("GET", f"{A}/sync-log"),
    Route("GET", f"{A}/runs"),
    Route("GET", f"{A}/runs/{{run}}", scoped=True),
    Route("GET", f"{A}/failed-records"),
    Route("POST", f"{A}/failed-records/{{failed}}/retry", scoped=True),
    Route("POST", f"{A}/failed-records/{{ignorable}}/ignore", scoped=True),
    Route("GET", f"{A}/health"),
    Route("GET", f"{A}/contacts/{{contact}}/provenance", scoped=True),
    Route("DELETE", f"{A}/integration"),  # last: the routes above use the connection
]
WRITES = [r for r in ROUTES if r.method not in ("GET", "HEAD")]


@pytest.fixture
def rows(connected: Any, database: Database, clock: FrozenClock) -> dict[str, Any]:
    """Give account A a saved version, a contact, a run, a failed record and an operation."""
    admin = connected.admin
    saved = admin.call("POST", f"{A}/settings/save")
    assert saved.status_code == 200, saved.text
    removed = admin.call("DELETE", f"{A}/mappings/lead/fax")
    assert removed.status_code == 200, removed.text
    exported = admin.client.get(f"{A}/settings/export").json()
    now = clock.now()
    with database.write() as session:
        contact = create_contact(
            session, admin.account_id, {"phone": f"+1 415 555 0{next(_phones)}"}, clock=clock
        ).contact
        second = create_contact(
            session, admin.account_id, {"phone": f"+1 415 555 0{next(_phones)}"}, clock=clock
        ).contact
        run = sync_log.start_run(session, admin.account_id, "inbound", "Lead", now)
        failed, ignorable = (
            sync_failed.record_failure(
                session,
                admin.account_id,
                contact_id=who.id,
                sobject="Lead",
                record_id=None,
                operation="update",
                payload={"properties": ["first_name"]},
                error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
                message="First name is required by a validation rule",
                at=now,
            )
            for who in (contact, second)
        )
        operation = operation_store.add(
            session, admin.account_id, OperationKind.PULL_LEAD_STATUSES, {}, admin.user_id, now
        )
    return {
        "ids": {
            "version": 1,
            "contact": contact.id,
            "run": run,
            "failed": failed,
            "ignorable": ignorable,
            "operation": operation.id,
        },
        "export": exported,
    }


def _request(client: Any, route: Route, rows: dict[str, Any], headers: dict[str, str]) -> Any:
    path = route.path.format(**rows["ids"])
    body = rows["export"] if route.body == "export" else route.body
    return client.request(route.method, path, json=body, headers=headers)


def _refusals(
    client: Any,
    routes: list[Route],
    rows: dict[str, Any],
    headers: dict[str, str],
    expected: tuple[int, str],
    check: Any,
) -> list[str]:
    """Send every route; return a line for each that did not answer ``expected`` in shape."""
    wrong = []
    for route in routes:
        response = _request(client, route, rows, headers)
        try:
            check(response, *expected)
        except AssertionError:
            wrong.append(f"{route.method} {route.path}: {response.status_code} {response.text}")
    return wrong


def test_anonymous_gets_401_everywhere(rows: dict[str, Any], world: Any, expect_error: Any) -> None:
    refused = (401, "not_signed_in")
    assert _refusals(world.anonymous, ROUTES, rows, {}, refused, expect_error) == []


def test_an_agent_gets_403_everywhere(rows: dict[str, Any], world: Any, expect_error: Any) -> None:
    agent = world.agent
    refused = (403, "forbidden")
    assert _refusals(agent.client, ROUTES, rows, agent.headers, refused, expect_error) == []


def test_another_accounts_admin_gets_404_for_this_accounts_rows(
    rows: dict[str, Any], world: Any, expect_error: Any
) -> None:
    other = world.other_admin
    scoped = [r for r in ROUTES if r.scoped]
    assert len(scoped) == 9
    refused = (404, "not_found")
    assert _refusals(other.client, scoped, rows, other.headers, refused, expect_error) == []


def test_cookie_writes_without_the_csrf_header_are_refused(
    rows: dict[str, Any], world: Any, expect_error: Any
) -> None:
    assert len(WRITES) == 18
    refused = (403, "csrf_failed")
    assert _refusals(world.admin.client, WRITES, rows, {}, refused, expect_error) == []


def test_the_admin_gets_2xx_everywhere(rows: dict[str, Any], world: Any) -> None:
    wrong = []
    for route in ROUTES:
        response = _request(world.admin.client, route, rows, world.admin.headers)
        ok = response.status_code == route.ok
        if route.ok < 300:
            ok = ok and response.headers["content-type"].startswith("application/json")
        if not ok:
            wrong.append(f"{route.method} {route.path}: {response.status_code} {response.text}")
    assert wrong == []


def test_an_api_token_cannot_use_the_admin_api(world: Any, expect_error: Any) -> None:
    created = world.admin.call("POST", "/api/v1/tokens", json={"name": "dialer"})
    assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    response = world.anonymous.get(f"{A}/settings/draft", headers=bearer)
    expect_error(response, 403, "forbidden")
