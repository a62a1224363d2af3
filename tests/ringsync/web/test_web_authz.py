"""The authorization matrix on every API route, and CSRF on every cookie-authenticated change.

Roles: anonymous -> 401; agent on admin routes -> 403; an integration's API token on routes
for people -> 403; an admin of another account asking for this account's ids -> 404 (the same
answer as for ids that do not exist, so nothing leaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ringsync.store.db import Database


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: Any = None
    admin_only: bool = False
    people_only: bool = False
    ok: int = 200


def _contact_body() -> dict[str, Any]:
    return {"phone": "+1 415 555 0142", "first_name": "Matrix"}


ROUTES = [
    Route("GET", "/api/v1/session", people_only=True),
    Route("DELETE", "/api/v1/session", people_only=True, ok=204),
    Route("GET", "/api/v1/users", admin_only=True),
    Route("POST", "/api/v1/users", {"email": "new@example.com"}, admin_only=True, ok=201),
    Route("PATCH", "/api/v1/users/{agent_id}", {"name": "Renamed"}, admin_only=True),
    Route("GET", "/api/v1/tokens", admin_only=True),
    Route("POST", "/api/v1/tokens", {"name": "dialer"}, admin_only=True, ok=201),
    Route("DELETE", "/api/v1/tokens/{token_id}", admin_only=True, ok=204),
    Route("GET", "/api/v1/contacts"),
    Route("POST", "/api/v1/contacts", "contact", ok=201),
    Route("GET", "/api/v1/contacts/{contact_id}"),
    Route("PATCH", "/api/v1/contacts/{contact_id}", {"company": "Changed"}),
    Route(
        "POST",
        "/api/v1/events",
        {
            "type": "call.ended",
            "contact_id": "{contact_id}",
            "direction": "inbound",
            "occurred_at": "2026-03-01T09:00:00-08:00",
            "idempotency_key": "matrix-1",
        },
        ok=201,
    ),
]
IDS = [f"{r.method} {r.path}" for r in ROUTES]


@pytest.fixture
def ids(world: Any) -> dict[str, int]:
    admin = world.admin
    contact = admin.client.post(
        "/api/v1/contacts", json={"phone": "+1 415 555 0100"}, headers=admin.headers
    )
    token = admin.client.post("/api/v1/tokens", json={"name": "t"}, headers=admin.headers)
    assert contact.status_code == 201
    assert token.status_code == 201
    return {
        "contact_id": contact.json()["id"],
        "token_id": token.json()["id"],
        "agent_id": world.agent.user_id,
        "token": token.json()["token"],
    }


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if value == "contact":
        return _contact_body()
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _call(client: Any, route: Route, ids: dict[str, Any], headers: dict[str, str]) -> Any:
    path = route.path.format(**ids)
    body = _fill(route.body, ids)
    return client.request(route.method, path, json=body, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_anonymous_gets_401(
    route: Route, world: Any, ids: dict[str, Any], expect_error: Any
) -> None:
    response = _call(world.anonymous, route, ids, {})
    expect_error(response, 401, "not_signed_in")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_agent_gets_403_on_admin_routes_and_through_elsewhere(
    route: Route, world: Any, ids: dict[str, Any], expect_error: Any
) -> None:
    response = _call(world.agent.client, route, ids, world.agent.headers)
    if route.admin_only:
        expect_error(response, 403, "forbidden")
    else:
        assert response.status_code == route.ok, response.text


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_admin_may_use_every_route(route: Route, world: Any, ids: dict[str, Any]) -> None:
    response = _call(world.admin.client, route, ids, world.admin.headers)
    assert response.status_code == route.ok, response.text


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_api_token_reaches_only_integration_routes(
    route: Route, world: Any, ids: dict[str, Any], expect_error: Any
) -> None:
    headers = {"Authorization": f"Bearer {ids['token']}"}
    response = _call(world.anonymous, route, ids, headers)
    if route.admin_only or route.people_only:
        expect_error(response, 403, "forbidden")
    else:
        assert response.status_code == route.ok, response.text


ID_ROUTES = [r for r in ROUTES if "{" in r.path or "contact_id" in str(r.body)]


@pytest.mark.parametrize("route", ID_ROUTES, ids=[f"{r.method} {r.path}" for r in ID_ROUTES])
def test_admin_of_another_account_gets_404_for_our_ids(
    route: Route, world: Any, ids: dict[str, Any], expect_error: Any
) -> None:
    other = world.other_admin
    response = _call(other.client, route, ids, other.headers)
    expect_error(response, 404, "not_found")
    missing = {**ids, "contact_id": 10**9, "token_id": 10**9, "agent_id": 10**9}
    again = _call(other.client, route, missing, other.headers)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == response.json()["error"]["code"]


def test_other_accounts_lists_do_not_show_our_rows(world: Any, ids: dict[str, Any]) -> None:
    other = world.other_admin.client
    assert other.get("/api/v1/contacts").json() == {"items": [], "next_cursor": None}
    emails = {u["email"] for u in other.get("/api/v1/users").json()["items"]}
    assert emails == {world.other_admin.email}
    assert other.get("/api/v1/tokens").json() == {"items": []}


CHANGES = [r for r in ROUTES if r.method != "GET"]


@pytest.mark.parametrize("token", [None, "", "forged-token", "use-other-session"])
@pytest.mark.parametrize("route", CHANGES, ids=[f"{r.method} {r.path}" for r in CHANGES])
def test_cookie_changes_without_a_valid_csrf_token_are_refused(
    route: Route,
    token: str | None,
    world: Any,
    ids: dict[str, Any],
    database: Database,
    expect_error: Any,
) -> None:
    if token == "use-other-session":
        token = world.agent.csrf
    headers = {} if token is None else {"X-CSRF-Token": token}
    response = _call(world.admin.client, route, ids, headers)
    error = expect_error(response, 403, "csrf_failed")
    assert "X-CSRF-Token" in error["message"]
    # Nothing happened: the admin's session still works and the contact is unchanged.
    assert world.admin.client.get("/api/v1/session").status_code == 200
    contact = world.admin.client.get(f"/api/v1/contacts/{ids['contact_id']}").json()
    assert contact["version"] == 1


def test_get_requests_do_not_change_anything(world: Any) -> None:
    response = world.admin.client.get("/api/v1/tokens/1")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
