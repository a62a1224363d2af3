"""create_app: the secret key rule, security headers, OpenAPI without a CDN docs UI, static."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from ringsync.errors import ConfigError
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web import create_app
from ringsync.web.headers import CONTENT_SECURITY_POLICY


def test_a_missing_secret_key_stops_startup_with_a_clear_message(
    db_path: Path, database: Database
) -> None:
    settings = Settings(database_url=f"sqlite:///{db_path}")
    with pytest.raises(ConfigError, match="RINGSYNC_SECRET_KEY is not set"):
        create_app(settings, session_factory=database)


def test_a_short_secret_key_is_refused(db_path: Path, database: Database) -> None:
    settings = Settings(database_url=f"sqlite:///{db_path}", secret_key="short")
    with pytest.raises(ConfigError, match="too short"):
        create_app(settings, session_factory=database)


def test_demo_mode_generates_a_key(db_path: Path, database: Database) -> None:
    settings = Settings(database_url=f"sqlite:///{db_path}", demo=True)
    app = create_app(settings, session_factory=database)
    assert TestClient(app).get("/api/v1/openapi.json").status_code == 200


def test_create_app_opens_its_own_store_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'own.db'}", secret_key="k" * 40)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/contacts").status_code == 401
    assert (tmp_path / "own.db").exists()


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/sign-in", "/api/v1/contacts", "/x"])
def test_security_headers_on_every_response(app: FastAPI, path: str) -> None:
    response = TestClient(app).get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(app: FastAPI) -> None:
    response = TestClient(app, base_url="https://testserver").get("/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_openapi_is_published_and_the_cdn_docs_ui_is_off(app: FastAPI) -> None:
    client = TestClient(app)
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/session",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/events",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
    } <= paths
    assert not any(p.startswith(("/sign-in", "/contacts", "/salesforce")) for p in paths)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_static_files_are_served_by_ringsync(app: FastAPI) -> None:
    client = TestClient(app)
    css = client.get("/static/app.css")
    js = client.get("/static/app.js")
    assert css.status_code == js.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "javascript" in js.headers["content-type"]
    assert "no-store" not in css.headers.get("Cache-Control", "")


def test_the_runner_failing_to_wake_loses_nothing(
    world: Any, runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(account_id: int) -> None:
        raise RuntimeError(f"broker down for {account_id}")

    runner.wake = broken
    agent = world.agent
    response = agent.client.post(
        "/api/v1/contacts", json={"phone": "+14155550188"}, headers=agent.headers
    )
    assert response.status_code == 201
    assert agent.client.get(f"/api/v1/contacts/{response.json()['id']}").status_code == 200
    assert "could not wake the runner" in caplog.text
