"""Default deny: every route the app serves has an access rule here, and each rule holds.

The routes are read from the app itself, so a new route without a rule fails
``test_every_route_has_a_rule``. Then, for every non-public route: an anonymous caller gets 401,
an agent gets 403 where the route is for admins, and an admin of another account gets 404 for
this account's ids (the same answer as for ids that do not exist). The hand-written matrices in
tests/ringsync/web and tests/ringsync/web_admin check the 2xx side and CSRF route by route.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount


class Access(Enum):
    PUBLIC = "public"  # no sign-in needed (sign-in itself, redirects, the API document)
    SIGNED_IN = "signed_in"  # agents and admins (or an integration's token)
    ADMIN = "admin"  # admins of the account only


@dataclass(frozen=True)
class Rule:
    access: Access
    body: Any = None  # a valid body, so the id lookup (not validation) decides a 404


V1 = "/api/v1"
A = "/api/v1/admin"
RULES: dict[tuple[str, str], Rule] = {
    ("GET", f"{V1}/openapi.json"): Rule(Access.PUBLIC),
    ("POST", f"{V1}/session"): Rule(Access.PUBLIC),
    ("GET", f"{V1}/session"): Rule(Access.SIGNED_IN),
    ("DELETE", f"{V1}/session"): Rule(Access.SIGNED_IN),
    ("POST", f"{V1}/contacts"): Rule(Access.SIGNED_IN),
    ("GET", f"{V1}/contacts"): Rule(Access.SIGNED_IN),
    ("GET", f"{V1}/contacts/{{contact_id}}"): Rule(Access.SIGNED_IN),
    ("PATCH", f"{V1}/contacts/{{contact_id}}"): Rule(Access.SIGNED_IN, {"company": "X"}),
    ("POST", f"{V1}/events"): Rule(Access.SIGNED_IN),
    ("POST", f"{V1}/events/batch"): Rule(Access.SIGNED_IN),
    ("POST", f"{V1}/tokens"): Rule(Access.ADMIN),
    ("GET", f"{V1}/tokens"): Rule(Access.ADMIN),
    ("DELETE", f"{V1}/tokens/{{token_id}}"): Rule(Access.ADMIN),
    ("GET", f"{V1}/users"): Rule(Access.ADMIN),
    ("POST", f"{V1}/users"): Rule(Access.ADMIN),
    ("PATCH", f"{V1}/users/{{user_id}}"): Rule(Access.ADMIN, {"name": "Renamed"}),
    ("POST", f"{A}/integration/oauth/start"): Rule(Access.ADMIN),
    ("GET", f"{A}/integration/oauth/callback"): Rule(Access.ADMIN),
    ("POST", f"{A}/integration/connect"): Rule(Access.ADMIN),
    ("GET", f"{A}/integration"): Rule(Access.ADMIN),
    ("POST", f"{A}/integration/check"): Rule(Access.ADMIN),
    ("DELETE", f"{A}/integration"): Rule(Access.ADMIN),
    ("GET", f"{A}/settings/draft"): Rule(Access.ADMIN),
    ("PUT", f"{A}/settings/draft"): Rule(Access.ADMIN),
    ("POST", f"{A}/settings/validate"): Rule(Access.ADMIN),
    ("POST", f"{A}/settings/save"): Rule(Access.ADMIN),
    ("GET", f"{A}/settings/versions"): Rule(Access.ADMIN),
    ("GET", f"{A}/settings/versions/{{number}}"): Rule(Access.ADMIN),
    ("GET", f"{A}/settings/compare"): Rule(Access.ADMIN),
    ("POST", f"{A}/settings/versions/{{number}}/restore"): Rule(Access.ADMIN),
    ("GET", f"{A}/settings/export"): Rule(Access.ADMIN),
    ("POST", f"{A}/settings/import"): Rule(Access.ADMIN),
    ("GET", f"{A}/mappings/{{sobject}}"): Rule(Access.ADMIN),
    ("POST", f"{A}/mappings/{{sobject}}"): Rule(Access.ADMIN),
    ("PATCH", f"{A}/mappings/{{sobject}}/{{name}}"): Rule(Access.ADMIN),
    ("DELETE", f"{A}/mappings/{{sobject}}/{{name}}"): Rule(Access.ADMIN),
    ("POST", f"{A}/operations/{{kind}}/preview"): Rule(Access.ADMIN),
    ("POST", f"{A}/operations/{{kind}}/run"): Rule(Access.ADMIN),
    ("GET", f"{A}/operations"): Rule(Access.ADMIN),
    ("GET", f"{A}/operations/{{operation_id}}"): Rule(Access.ADMIN),
    ("POST", f"{A}/operations/{{operation_id}}/cancel"): Rule(Access.ADMIN),
    ("POST", f"{A}/users/sync"): Rule(Access.ADMIN),
    ("GET", f"{A}/users/sync"): Rule(Access.ADMIN),
    ("GET", f"{A}/sync-log"): Rule(Access.ADMIN),
    ("GET", f"{A}/runs"): Rule(Access.ADMIN),
    ("GET", f"{A}/runs/{{run_id}}"): Rule(Access.ADMIN),
    ("GET", f"{A}/failed-records"): Rule(Access.ADMIN),
    ("POST", f"{A}/failed-records/{{failed_id}}/retry"): Rule(Access.ADMIN),
    ("POST", f"{A}/failed-records/{{failed_id}}/ignore"): Rule(Access.ADMIN),
    ("GET", f"{A}/health"): Rule(Access.ADMIN),
    ("GET", f"{A}/contacts/{{contact_id}}/provenance"): Rule(Access.ADMIN),
    ("GET", "/"): Rule(Access.PUBLIC),
    ("GET", "/sign-in"): Rule(Access.PUBLIC),
    ("POST", "/sign-in"): Rule(Access.PUBLIC),
    ("POST", "/sign-out"): Rule(Access.PUBLIC),  # signs out whoever is signed in; CSRF-bound
    ("GET", "/contacts"): Rule(Access.SIGNED_IN),
    ("GET", "/salesforce"): Rule(Access.ADMIN),
    ("GET", "/admin/salesforce"): Rule(Access.PUBLIC),  # a redirect to /salesforce
    ("GET", "/salesforce/sections/{name}"): Rule(Access.ADMIN),
    ("GET", "/contacts/{contact_id}"): Rule(Access.SIGNED_IN),
    ("MOUNT", "/static"): Rule(Access.PUBLIC),
}
# Path parameters that name one account's rows: another account's admin must get 404.
SCOPED = {"contact_id", "token_id", "user_id", "operation_id", "run_id", "failed_id", "number"}
# Values for parameters that are not account rows.
FIXED = {"sobject": "lead", "name": "email", "kind": "push_contacts"}


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Return (method, path) for every route the app serves (HEAD folded into GET)."""
    served: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        assert path is not None
        if isinstance(route, Mount):
            served.add(("MOUNT", path))
            continue
        for method in context.methods or ():
            if method != "HEAD":
                served.add((method, path))
    return served


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


@pytest.fixture
def ids(world: Any, database: Any, clock: Any) -> dict[str, Any]:
    """Give account A one row of every kind a path can name."""
    from ringsync.operations import store as operation_store
    from ringsync.operations.model import OperationKind
    from ringsync.store.repositories import sync_failed, sync_log

    admin = world.admin
    contact = admin.call("POST", f"{V1}/contacts", json={"phone": "+1 415 555 0177"}).json()
    token = admin.call("POST", f"{V1}/tokens", json={"name": "t"}).json()
    assert admin.call("POST", f"{A}/settings/save").status_code == 200
    now = clock.now()
    with database.write() as session:
        run = sync_log.start_run(session, admin.account_id, "inbound", "Lead", now)
        failed = sync_failed.record_failure(
            session,
            admin.account_id,
            contact_id=contact["id"],
            sobject="Lead",
            record_id=None,
            operation="update",
            payload={"properties": ["first_name"]},
            error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
            message="First name is required",
            at=now,
        )
        operation = operation_store.add(
            session, admin.account_id, OperationKind.PULL_LEAD_STATUSES, {}, admin.user_id, now
        )
    return {
        "contact_id": contact["id"],
        "token_id": token["id"],
        "user_id": world.agent.user_id,
        "operation_id": operation.id,
        "run_id": run,
        "failed_id": failed,
        "number": 1,
        **FIXED,
    }


def _checked(app: FastAPI) -> list[tuple[str, str, Rule]]:
    return [
        (method, path, RULES[(method, path)])
        for method, path in sorted(served_routes(app))
        if (method, path) in RULES and method != "MOUNT"
    ]


def test_every_route_has_a_rule(app: FastAPI) -> None:
    served = served_routes(app)
    assert sorted(served - set(RULES)) == [], "routes without an access rule (default deny)"
    assert sorted(set(RULES) - served) == [], "rules for routes that no longer exist"
    assert len(served) == len(RULES)


def test_anonymous_callers_get_401_on_every_non_public_route(
    app: FastAPI, world: Any, ids: dict[str, Any]
) -> None:
    wrong = []
    for method, path, rule in _checked(app):
        if rule.access is Access.PUBLIC:
            continue
        response = world.anonymous.request(method, path.format(**ids), json=rule.body)
        if response.status_code != 401:
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []


def test_agents_get_403_on_every_admin_route(app: FastAPI, world: Any, ids: dict[str, Any]) -> None:
    agent = world.agent
    wrong = []
    admin_routes = [r for r in _checked(app) if r[2].access is Access.ADMIN]
    assert len(admin_routes) > 40
    for method, path, rule in admin_routes:
        response = agent.call(method, path.format(**ids), json=rule.body)
        if response.status_code != 403:
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []


def test_another_accounts_admin_gets_404_for_every_id_of_ours(
    app: FastAPI, world: Any, ids: dict[str, Any]
) -> None:
    other = world.other_admin
    wrong = []
    scoped = [r for r in _checked(app) if SCOPED & set(_params(r[1]))]
    assert len(scoped) == 13
    for method, path, rule in scoped:
        response = other.call(method, path.format(**ids), json=rule.body)
        if response.status_code != 404:
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert wrong == []


def test_a_route_added_without_a_rule_is_caught(app: FastAPI) -> None:
    app.add_api_route(f"{A}/new-thing", lambda: {"ok": True}, methods=["GET"])
    try:
        assert served_routes(app) - set(RULES) == {("GET", f"{A}/new-thing")}
    finally:
        app.router.routes.remove(app.router.routes[-1])
    assert served_routes(app) == set(RULES)
