"""Secrets and full phone numbers never reach the logs, the API's answers or the sync log.

One long walk drives the app through its flows (sign in, bad sign in, contacts in several phone
formats, API tokens, events, OAuth connect with a refresh token, push, expired Salesforce
sessions and the refresh that follows, pull, logs, a forced crash, disconnect) while the folder's
``log_scan`` fixture captures every record at DEBUG; the scan itself runs when the test ends.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi import FastAPI

A = "/api/v1/admin"
PHONES = ["+14155550142", "+14155550143", "+12125550188"]
WRITTEN = ["+1 415 555 0142", "(415) 555-0143", "212.555.0188"]


def _oauth_connect(world: Any, sf_http: httpx2.Client) -> None:
    started = world.admin.call(
        "POST",
        f"{A}/integration/oauth/start",
        json={"login_url": "https://sfemu.test", "client_id": "sfemu-client"},
    )
    assert started.status_code == 200, started.text
    parts = urlsplit(started.json()["authorize_url"])
    granted = sf_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert granted.status_code == 302, granted.text
    back = urlsplit(granted.headers["location"])
    connected = world.admin.client.get(f"{back.path}?{back.query}")
    assert connected.status_code == 200, connected.text
    assert connected.json()["connected"] is True


def _crash_route(app: FastAPI, secret: str, phone: str) -> Any:
    def explode() -> None:
        raise RuntimeError(f"token {secret} for {phone} in SELECT Id FROM Lead")

    app.add_api_route("/api/v1/boom", explode, methods=["GET"])
    return app.router.routes[-1]


def test_a_walk_through_every_flow_leaks_nothing(
    world: Any,
    app: FastAPI,
    sf_http: httpx2.Client,
    sf_org: Any,
    secrets_seen: Any,
    log_scan: Any,
    sync_log_scan: Any,
) -> None:
    admin = world.admin
    for phone in PHONES:
        secrets_seen.add_phone(phone)

    wrong = world.anonymous.post(
        "/api/v1/session", json={"email": admin.email, "password": "wrong password 123"}
    )
    assert wrong.status_code == 401
    secrets_seen.add("wrong password 123")

    contact_ids = []
    for written, name in zip(WRITTEN, ["Ada", "Grace", "Linus"], strict=True):
        made = admin.call(
            "POST",
            "/api/v1/contacts",
            json={"phone": written, "first_name": name, "last_name": "Tester", "company": "Acme"},
        )
        assert made.status_code == 201, made.text
        contact_ids.append(made.json()["id"])
    duplicate = admin.call("POST", "/api/v1/contacts", json={"phone": WRITTEN[0]})
    assert duplicate.status_code >= 400
    found = admin.client.get("/api/v1/contacts", params={"phone": WRITTEN[1]})
    assert found.status_code == 200

    token = admin.call("POST", "/api/v1/tokens", json={"name": "dialer"}).json()["token"]
    secrets_seen.add(token)
    bearer = {"Authorization": f"Bearer {token}"}
    event = world.anonymous.post(
        "/api/v1/events",
        headers=bearer,
        json={
            "type": "call.ended",
            "contact_id": contact_ids[0],
            "direction": "outbound",
            "occurred_at": "2026-03-01T09:00:00-08:00",
            "idempotency_key": "security-walk-1",
        },
    )
    assert event.status_code == 201, event.text
    forged = world.anonymous.get("/api/v1/contacts", headers={"Authorization": "Bearer rs_nope"})
    assert forged.status_code == 401

    _oauth_connect(world, sf_http)
    drafted = admin.call("PUT", f"{A}/settings/draft", json={"create_direction": "both"})
    assert drafted.status_code == 200, drafted.text
    assert admin.call("POST", f"{A}/settings/save").status_code == 200
    pushed = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["status"] == "succeeded", pushed.text
    assert len(sf_org.find_by_field("Lead", "LastName", "Tester")) == 3, admin.client.get(
        f"{A}/failed-records"
    ).text

    expired = sf_http.post("/__sfemu/sessions/expire")
    assert expired.status_code == 200, expired.text
    checked = admin.call("POST", f"{A}/integration/check")
    assert checked.status_code == 200, checked.text

    pulled = admin.call("POST", f"{A}/operations/pull_contacts/run", json={})
    assert pulled.status_code == 202, pulled.text
    for path in ("/sync-log", "/runs", "/failed-records", "/health", "/integration"):
        assert admin.client.get(f"{A}{path}").status_code == 200

    route = _crash_route(app, token, PHONES[2])
    try:
        crashed = admin.client.get("/api/v1/boom")
    finally:
        app.router.routes.remove(route)
    assert crashed.status_code == 500
    assert crashed.json()["error"]["code"] == "internal_error"

    gone = admin.call("DELETE", f"{A}/integration")
    assert gone.status_code == 200, gone.text
    assert admin.call("DELETE", "/api/v1/session").status_code == 204

    assert sync_log_scan() > 0
    assert len(log_scan.records) > 10
    # The tokens Salesforce handed out were seen on the wire, so the scan knows them.
    assert sum(1 for v in secrets_seen.values if v.startswith("5Aep861")) >= 1
    # ... and the access token issued again after the forced expiry (a refresh happened).
    assert sum(1 for v in secrets_seen.values if v.startswith("00D")) >= 2


@pytest.mark.parametrize(
    ("logger", "message", "args", "leak"),
    [
        ("ringsync.x", "sent %s", ("Authorization: Bearer 00Dxx!AQ4AQFakeToken",), "Bearer"),
        ("ringsync.x", "stored %s", ("security-test-secret-key-0123456789-abcdefgh",), "securi"),
        ("ringsync.x", "calling %s", ("+14155550142",), None),  # masked by the filter
        ("sfemu.x", "calling 415-555-0142", (), None),
        ("ringsync.x", "extra", (), "***0142"),
        ("httpx2", "GET /q?Phone=+14155550142 (quieted below WARNING)", (), None),
    ],
)
def test_the_scanner_catches_secrets_raw_and_phones_as_emitted(
    logger: str,
    message: str,
    args: tuple[str, ...],
    leak: str | None,
    secrets_seen: Any,
    record_scanner: Any,
) -> None:
    secrets_seen.add_phone("+14155550142")
    record = logging.makeLogRecord(
        {"name": logger, "msg": message, "args": args, "levelno": logging.INFO}
    )
    if message == "extra":
        record.__dict__["phone"] = "+1 415 555 0142"  # an extra field is not masked
        record.msg = "called %s"
        record.args = (record.__dict__["phone"],)
        record.exc_info = None
        record.exc_text = "ValueError: +14155550142 is busy"
    record_scanner([record], secrets_seen)
    joined = " ".join(secrets_seen.leaks)
    secrets_seen.leaks.clear()
    if leak is None:
        assert joined == ""
    else:
        assert leak in joined
