"""Signing in and out through /api/v1/session: cookies, CSRF token, rate limit, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from ringsync.clock import FrozenClock
from ringsync.domain.users import update_user
from ringsync.store.db import Database

PASSWORD = "correct horse battery staple"


def _cookie_header(response: Any) -> str:
    cookies = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    assert len(cookies) == 1, cookies
    return str(cookies[0])


def test_sign_in_over_http_sets_an_httponly_lax_cookie(world: Any) -> None:
    client = TestClient(world.agent.client.app)
    response = client.post(
        "/api/v1/session", json={"email": world.agent.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == world.agent.email
    assert body["user"]["role"] == "agent"
    assert "password_hash" not in body["user"]
    assert body["csrf_token"]
    cookie = _cookie_header(response)
    assert cookie.startswith("ringsync_session=")
    parts = {p.strip().lower() for p in cookie.split(";")}
    assert "httponly" in parts
    assert "samesite=lax" in parts
    assert "path=/" in parts
    assert "secure" not in parts


def test_sign_in_over_https_uses_the_host_prefixed_secure_cookie(world: Any) -> None:
    client = TestClient(world.agent.client.app, base_url="https://testserver")
    response = client.post(
        "/api/v1/session", json={"email": world.agent.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = _cookie_header(response)
    assert cookie.startswith("__Host-ringsync=")
    parts = {p.strip().lower() for p in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= parts
    assert not any(p.startswith("domain=") for p in parts)
    assert client.get("/api/v1/session").status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(world: Any, expect_error: Any) -> None:
    client = world.anonymous
    wrong = client.post("/api/v1/session", json={"email": world.agent.email, "password": "nope"})
    unknown = client.post(
        "/api/v1/session", json={"email": "nobody@example.com", "password": "nope"}
    )
    first = expect_error(wrong, 401, "not_signed_in")
    second = expect_error(unknown, 401, "not_signed_in")
    assert first["message"] == second["message"] == "email or password is wrong"
    assert "set-cookie" not in wrong.headers


def test_session_shows_the_user_and_the_csrf_token(world: Any) -> None:
    response = world.admin.client.get("/api/v1/session")
    assert response.status_code == 200
    assert response.json()["user"]["id"] == world.admin.user_id
    assert response.json()["csrf_token"] == world.admin.csrf


def test_sign_out_ends_the_session_on_the_server(world: Any, expect_error: Any) -> None:
    agent = world.agent
    stolen = dict(agent.client.cookies)
    response = agent.client.delete("/api/v1/session", headers=agent.headers)
    assert response.status_code == 204
    assert "max-age=0" in _cookie_header(response).lower()
    replay = TestClient(agent.client.app, cookies=stolen)
    expect_error(replay.get("/api/v1/session"), 401, "not_signed_in")


def test_sign_out_needs_the_csrf_token(world: Any, expect_error: Any) -> None:
    expect_error(world.agent.client.delete("/api/v1/session"), 403, "csrf_failed")
    assert world.agent.client.get("/api/v1/session").status_code == 200


def test_login_rate_limit_answers_429_then_recovers(
    world: Any, clock: FrozenClock, expect_error: Any
) -> None:
    client = world.anonymous
    attempt = {"email": world.agent.email, "password": "wrong password"}
    for _ in range(5):
        expect_error(client.post("/api/v1/session", json=attempt), 401, "not_signed_in")
    limited = client.post("/api/v1/session", json=attempt)
    error = expect_error(limited, 429, "too_many_attempts")
    assert int(limited.headers["Retry-After"]) == 15 * 60
    assert "try again" in error["message"]
    # Even the right password waits: the limit is checked before the password.
    right = {"email": world.agent.email, "password": PASSWORD}
    expect_error(client.post("/api/v1/session", json=right), 429, "too_many_attempts")
    # Another email from the same address is not blocked.
    other = {"email": world.admin.email, "password": PASSWORD}
    assert client.post("/api/v1/session", json=other).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    assert client.post("/api/v1/session", json=right).status_code == 200


def test_sessions_expire(world: Any, clock: FrozenClock, expect_error: Any) -> None:
    clock.advance(timedelta(hours=12, seconds=1))
    expect_error(world.agent.client.get("/api/v1/session"), 401, "not_signed_in")


def test_inactive_user_cannot_sign_in_and_loses_open_sessions(
    world: Any, database: Database, expect_error: Any
) -> None:
    with database.write() as session:
        update_user(session, world.agent.account_id, world.agent.user_id, {"status": "suspended"})
    expect_error(world.agent.client.get("/api/v1/session"), 401, "not_signed_in")
    again = world.anonymous.post(
        "/api/v1/session", json={"email": world.agent.email, "password": PASSWORD}
    )
    expect_error(again, 401, "not_signed_in")


def test_sign_in_from_a_foreign_origin_is_refused(world: Any, expect_error: Any) -> None:
    response = world.anonymous.post(
        "/api/v1/session",
        json={"email": world.agent.email, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    expect_error(response, 403, "csrf_failed")
    same = world.anonymous.post(
        "/api/v1/session",
        json={"email": world.agent.email, "password": PASSWORD},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 200


def test_sign_in_refuses_a_form_encoded_body(world: Any, expect_error: Any) -> None:
    response = world.anonymous.post(
        "/api/v1/session", data={"email": world.agent.email, "password": PASSWORD}
    )
    expect_error(response, 422, "validation_error")
    assert "set-cookie" not in response.headers


def test_one_email_in_two_accounts_must_name_the_account(
    app: FastAPI,
    world: Any,
    database: Database,
    clock: FrozenClock,
    hasher: PasswordHasher,
    expect_error: Any,
) -> None:
    from ringsync.domain.users import create_user

    with database.write() as session:
        create_user(
            session,
            world.other_admin.account_id,
            email=world.agent.email,
            role="agent",
            password_hash=hasher.hash(PASSWORD),
            clock=clock,
        )
    credentials = {"email": world.agent.email, "password": PASSWORD}
    error = expect_error(
        world.anonymous.post("/api/v1/session", json=credentials), 422, "validation_error"
    )
    assert [d["field"] for d in error["details"]] == ["account_id"]
    chosen = world.anonymous.post(
        "/api/v1/session", json={**credentials, "account_id": world.other_admin.account_id}
    )
    assert chosen.status_code == 200
    assert chosen.json()["user"]["email"] == world.agent.email


def test_sign_in_validation_lists_every_problem(world: Any, expect_error: Any) -> None:
    response = world.anonymous.post("/api/v1/session", json={"email": "", "pass": "x"})
    error = expect_error(response, 422, "validation_error")
    fields = sorted(d["field"] for d in error["details"])
    assert fields == ["email", "pass", "password"]
