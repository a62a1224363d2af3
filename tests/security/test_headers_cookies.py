"""Headers on every route and every kind of answer, no CORS, no GET for changes, clean 500s.

Already covered beside their code (not repeated here): session cookie flags over http and https
(HttpOnly, SameSite=Lax, ``__Host-`` + Secure on https) and the login 429 with Retry-After in
tests/ringsync/web/test_web_session.py; the exact CSP and HSTS values in
tests/ringsync/web/test_web_app.py; CSRF on every cookie write in tests/ringsync/web*/
test_*authz.py; one forced exception's 500 in tests/ringsync/web/test_web_errors.py. Here the
same properties are checked across every route the app serves, read from the app itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm import Session
from starlette.routing import Mount
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.settings import Settings
from ringsync.store.db import Database, create_db_engine
from ringsync.web import create_app
from ringsync.web.errors import GENERIC_MESSAGE

REQUIRED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
PARAMS = {
    "contact_id": "1",
    "token_id": "1",
    "user_id": "1",
    "operation_id": "1",
    "run_id": "1",
    "failed_id": "1",
    "number": "1",
    "sobject": "lead",
    "name": "email",
    "kind": "push_contacts",
}
SIGN_IN = {"email": "someone@example.com", "password": "a password"}
LEAK = "rs_leaked-token-value-+14155550199"


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Return (method, concrete path) for every HTTP route, path parameters filled in."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount) or context.path is None:
            continue
        path = context.path.format(**PARAMS)
        found += [(m, path) for m in sorted(context.methods or ()) if m != "HEAD"]
    return found


def _assert_headers(response: Any, *, https: bool = False) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    csp = response.headers["content-security-policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["x-correlation-id"]
    assert ("strict-transport-security" in response.headers) is https
    assert "access-control-allow-origin" not in response.headers
    if not response.request.url.path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store"


def test_every_route_answers_with_the_security_headers(app: FastAPI, world: Any) -> None:
    routes = _routes(app)
    assert len(routes) > 50
    for method, path in routes:
        _assert_headers(world.anonymous.request(method, path))
        _assert_headers(world.agent.call(method, path))


def test_every_kind_of_answer_carries_them_over_https_too(app: FastAPI) -> None:
    with TestClient(app, base_url="https://ringsync.example") as client:
        for response in (
            client.get("/sign-in"),  # an HTML page
            client.get("/no/such/page"),  # 404
            client.get("/api/v1/contacts"),  # 401
            client.post("/api/v1/contacts", content=b"x" * 1_000_001),  # 413
            client.get("/static/salesforce.js"),  # a static file
        ):
            _assert_headers(response, https=True)


def test_no_cross_origin_access_is_granted(world: Any) -> None:
    preflight = world.anonymous.options(
        "/api/v1/contacts",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-csrf-token",
        },
    )
    assert preflight.status_code in (401, 405)
    assert "access-control-allow-origin" not in preflight.headers
    read = world.admin.client.get("/api/v1/contacts", headers={"Origin": "https://evil.example"})
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers
    assert "access-control-allow-credentials" not in read.headers


def test_no_change_can_be_made_with_a_get(app: FastAPI, world: Any, expect_error: Any) -> None:
    writes_only = {p for m, p in _routes(app) if m != "GET"} - {
        p for m, p in _routes(app) if m == "GET"
    }
    assert len(writes_only) > 15
    for path in sorted(writes_only):
        expect_error(world.admin.client.get(path), 405, "method_not_allowed")


class BrokenDatabase(Database):
    """A store whose every session fails with a message holding a token and a phone."""

    @contextmanager
    def write(self) -> Iterator[Session]:
        raise RuntimeError(f"database is locked while storing {LEAK} in SELECT Id FROM Lead")
        yield  # pragma: no cover

    @contextmanager
    def read(self) -> Iterator[Session]:
        raise RuntimeError(f"database is locked while reading {LEAK}")
        yield  # pragma: no cover


@pytest.fixture
def broken_app(
    db_path: Path, settings: Settings, clock: FrozenClock, hasher: PasswordHasher
) -> FastAPI:
    database = BrokenDatabase(create_db_engine(f"sqlite:///{db_path}"))
    return create_app(settings, session_factory=database, clock=clock, password_hasher=hasher)


def test_a_failure_inside_any_api_route_is_a_generic_500(
    broken_app: FastAPI, expect_error: Any, secrets_seen: Any
) -> None:
    secrets_seen.add(LEAK)
    secrets_seen.add_phone("+14155550199")
    api = [(m, p) for m, p in _routes(broken_app) if p.startswith("/api/v1/")]
    api = [(m, p) for m, p in api if p != "/api/v1/openapi.json"]
    assert len(api) > 45
    bearer = {"Authorization": "Bearer rs_an-api-token-that-reaches-the-store"}
    with TestClient(broken_app) as client:
        for method, path in api:
            body = SIGN_IN if (method, path) == ("POST", "/api/v1/session") else {}
            response = client.request(method, path, headers=bearer, json=body)
            error = expect_error(response, 500, "internal_error")
            assert error["message"] == GENERIC_MESSAGE
            for leak in ("Traceback", "RuntimeError", "SELECT", "locked", LEAK):
                assert leak not in response.text, (method, path)
