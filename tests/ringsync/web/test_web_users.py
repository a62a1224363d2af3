"""Users through the API (admins only): list, create with a hashed password, change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ringsync.store.db import Database
from ringsync.store.tables import User

NEW_PASSWORD = "a long enough new password"


def test_admin_lists_the_accounts_users(world: Any) -> None:
    listed = world.admin.client.get("/api/v1/users").json()["items"]
    assert {u["email"] for u in listed} == {world.admin.email, world.agent.email}
    assert all("password_hash" not in u for u in listed)
    assert all(u["has_password"] for u in listed)


def test_create_user_stores_an_argon2_hash(world: Any, database: Database) -> None:
    admin = world.admin
    response = admin.client.post(
        "/api/v1/users",
        json={"email": "New.Agent@Example.com", "name": "New", "password": NEW_PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == "agent"
    assert created["has_password"] is True
    with database.read() as session:
        stored = session.scalars(select(User).where(User.id == created["id"])).one()
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in stored.password_hash
    signed_in = world.anonymous.post(
        "/api/v1/session", json={"email": "new.agent@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200


def test_create_lists_every_problem(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.post(
        "/api/v1/users",
        json={"email": "not-an-email", "role": "boss", "password": "short"},
        headers=admin.headers,
    )
    error = expect_error(response, 422, "validation_error")
    assert sorted(d["field"] for d in error["details"]) == ["email", "password", "role"]


def test_email_taken_is_reported(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.post(
        "/api/v1/users", json={"email": world.agent.email}, headers=admin.headers
    )
    error = expect_error(response, 422, "validation_error")
    assert error["details"][0]["code"] == "taken"


def test_changing_a_password_signs_the_user_out_everywhere(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.patch(
        f"/api/v1/users/{world.agent.user_id}",
        json={"password": NEW_PASSWORD, "name": "Renamed"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    expect_error(world.agent.client.get("/api/v1/session"), 401, "not_signed_in")
    old = world.anonymous.post(
        "/api/v1/session",
        json={"email": world.agent.email, "password": "correct horse battery staple"},
    )
    assert old.status_code == 401
    new = world.anonymous.post(
        "/api/v1/session", json={"email": world.agent.email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 200


def test_promoting_an_agent_takes_effect_at_once(world: Any) -> None:
    admin = world.admin
    assert world.agent.client.get("/api/v1/users").status_code == 403
    response = admin.client.patch(
        f"/api/v1/users/{world.agent.user_id}", json={"role": "admin"}, headers=admin.headers
    )
    assert response.json()["role"] == "admin"
    assert world.agent.sign_in().client.get("/api/v1/users").status_code == 200


def test_admin_cannot_change_their_own_role_or_status(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.patch(
        f"/api/v1/users/{admin.user_id}",
        json={"role": "agent", "status": "inactive"},
        headers=admin.headers,
    )
    error = expect_error(response, 422, "validation_error")
    assert sorted(d["field"] for d in error["details"]) == ["role", "status"]
    assert admin.client.get("/api/v1/users").status_code == 200


def test_unknown_fields_are_refused(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.patch(
        f"/api/v1/users/{world.agent.user_id}",
        json={"password_hash": "$argon2id$forged"},
        headers=admin.headers,
    )
    error = expect_error(response, 422, "validation_error")
    assert error["details"][0]["field"] == "password_hash"
