"""Error hygiene: a forced exception is a generic 500 with a correlation id; logs hide secrets."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from ringsync.web.errors import GENERIC_MESSAGE

FULL_NUMBER = "4155550142"
SECRET = "sk_live_do_not_leak_me"
CLIENT_LOGGERS = ("httpx2", "httpcore2", "httpx", "httpcore", "asyncio")


def _boom() -> None:
    raise RuntimeError(f"SELECT Id FROM Lead WHERE Phone = '+1{FULL_NUMBER}' token={SECRET}")


@pytest.fixture
def boom_app(app: FastAPI) -> FastAPI:
    app.add_api_route("/api/v1/boom", _boom, methods=["GET"])
    return app


def test_forced_exception_is_a_generic_500_with_a_correlation_id(
    boom_app: FastAPI, caplog: pytest.LogCaptureFixture, expect_error: Any
) -> None:
    client = TestClient(boom_app)
    with caplog.at_level(logging.DEBUG):
        response = client.get("/api/v1/boom")
    error = expect_error(response, 500, "internal_error")
    assert error["message"] == GENERIC_MESSAGE
    assert len(error["correlation_id"]) == 32
    for leak in ("Traceback", "RuntimeError", "SELECT", FULL_NUMBER, SECRET, "_boom"):
        assert leak not in response.text
    # The security headers are on the 500 too.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    logged = [r for r in caplog.records if error["correlation_id"] in r.getMessage()]
    assert len(logged) == 1
    assert "RuntimeError" in logged[0].getMessage()
    assert "_boom" in logged[0].getMessage()
    assert logged[0].exc_info is None
    assert SECRET not in caplog.text
    assert FULL_NUMBER not in caplog.text


def test_a_well_formed_request_id_is_kept_as_the_correlation_id(
    boom_app: FastAPI, expect_error: Any
) -> None:
    client = TestClient(boom_app)
    response = client.get("/api/v1/boom", headers={"X-Request-ID": "req-12345678"})
    assert expect_error(response, 500, "internal_error")["correlation_id"] == "req-12345678"
    hostile = client.get("/api/v1/boom", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert expect_error(hostile, 500, "internal_error")["correlation_id"] != "<script>"


def test_phone_numbers_never_reach_the_logs_in_full(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    agent = world.agent
    with caplog.at_level(logging.DEBUG):
        agent.client.post(
            "/api/v1/contacts", json={"phone": f"+1{FULL_NUMBER}"}, headers=agent.headers
        )
        agent.client.post(
            "/api/v1/contacts", json={"phone": f"+1{FULL_NUMBER}"}, headers=agent.headers
        )
        agent.client.get("/api/v1/contacts", params={"phone": FULL_NUMBER})
        agent.client.get(f"/api/v1/contacts/+1{FULL_NUMBER}")
        agent.client.post(
            "/api/v1/events",
            json={
                "type": "sms.received",
                "phone": "+1 212 555 0199",
                "occurred_at": "2026-03-01T08:00:00Z",
                "idempotency_key": "log-scan",
            },
            headers=agent.headers,
        )
        world.anonymous.post(
            "/api/v1/session", json={"email": agent.email, "password": f"+1{FULL_NUMBER}"}
        )
        world.anonymous.get(f"/api/v1/contacts/+1{FULL_NUMBER}")
    # The test's own HTTP client logs the URLs it requests; only the server's lines count.
    server = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert server, "expected some server log lines to scan"
    text = "\n".join(r.getMessage() for r in server)
    assert "***0142" in text  # the refused request was logged, with its number masked
    for full in (FULL_NUMBER, "2125550199"):
        assert full not in text.replace(" ", "").replace("-", "")


def test_a_sign_in_failure_is_logged_without_the_email_or_password(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        world.anonymous.post(
            "/api/v1/session", json={"email": world.agent.email, "password": SECRET}
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any("sign-in failed" in m for m in messages)
    assert not any(SECRET in m or world.agent.email in m for m in messages)
