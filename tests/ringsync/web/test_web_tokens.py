"""API tokens: shown once, stored only as a digest, accepted as Bearer, refused once revoked."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ringsync.store.db import Database
from ringsync.web.auth_tables import api_tokens


def _create(world: Any, name: str = "dialer") -> dict[str, Any]:
    admin = world.admin
    response = admin.client.post("/api/v1/tokens", json={"name": name}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_token_is_shown_once_and_listed_without_its_secret(world: Any) -> None:
    created = _create(world)
    token = created["token"]
    assert token.startswith("rs_")
    assert len(token) > 40
    assert created["prefix"] == token[:9]
    listed = world.admin.client.get("/api/v1/tokens").json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert token not in world.admin.client.get("/api/v1/tokens").text


def test_token_is_hashed_at_rest(world: Any, database: Database, db_path: Path) -> None:
    token = _create(world)["token"]
    with database.read() as session:
        rows = session.execute(select(api_tokens)).all()
    stored = [tuple(str(v) for v in row) for row in rows]
    assert all(token not in value for row in stored for value in row)
    assert any(hashlib.sha256(token.encode()).hexdigest() in row for row in stored)
    database.engine.dispose()  # flush the WAL so the file holds everything written
    wal = Path(f"{db_path}-wal")
    raw = db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert token.encode() not in raw
    assert token[3:].encode() not in raw


def test_bearer_token_works_for_the_tokens_account_only(world: Any) -> None:
    token = _create(world)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = world.anonymous.post(
        "/api/v1/contacts", json={"phone": "+1 415 555 0111"}, headers=headers
    )
    assert created.status_code == 201
    contact_id = created.json()["id"]
    seen = world.admin.client.get(f"/api/v1/contacts/{contact_id}")
    assert seen.status_code == 200
    assert world.other_admin.client.get(f"/api/v1/contacts/{contact_id}").status_code == 404


def test_revoked_token_is_refused(world: Any, expect_error: Any) -> None:
    created = _create(world)
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert world.anonymous.get("/api/v1/contacts", headers=headers).status_code == 200
    admin = world.admin
    revoked = admin.client.delete(f"/api/v1/tokens/{created['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    error = expect_error(
        world.anonymous.get("/api/v1/contacts", headers=headers), 401, "not_signed_in"
    )
    assert "revoked" in error["message"]
    listed = admin.client.get("/api/v1/tokens").json()["items"]
    assert listed[0]["revoked_at"] is not None
    again = admin.client.delete(f"/api/v1/tokens/{created['id']}", headers=admin.headers)
    assert again.status_code == 204


def test_malformed_or_unknown_tokens_are_refused(world: Any, expect_error: Any) -> None:
    for header in ("Basic abc", "Bearer", "Bearer xyz", "Bearer rs_not-a-real-token"):
        response = world.anonymous.get("/api/v1/contacts", headers={"Authorization": header})
        expect_error(response, 401, "not_signed_in")


def test_token_name_is_validated(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.post(
        "/api/v1/tokens", json={"name": "", "scope": "all"}, headers=admin.headers
    )
    error = expect_error(response, 422, "validation_error")
    assert sorted(d["field"] for d in error["details"]) == ["name", "scope"]


def test_revoking_an_unknown_token_is_404(world: Any, expect_error: Any) -> None:
    admin = world.admin
    response = admin.client.delete("/api/v1/tokens/999999", headers=admin.headers)
    expect_error(response, 404, "not_found")
