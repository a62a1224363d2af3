"""A login Salesforce refuses marks the connection "needs_reauth" (API and ``ringsync status``).

The refusal comes from sfemu's token endpoint (``token_invalid_grant`` kills the refresh token
presented, as Salesforce does with a revoked or expired one). A 500 from the token endpoint is
transient and never marks it; a reconnect, or a later grant that succeeds, clears the mark.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx2
from typer.testing import CliRunner

from fixtures.sfemu import CLIENT_ID, SFEMU_URL
from ringsync import cli

INTEGRATION = "/api/v1/admin/integration"


def _oauth_connect(person: Any, sf_http: httpx2.Client) -> None:
    """Connect (or reconnect) the person's account through OAuth code + PKCE at sfemu."""
    started = person.call(
        "POST", f"{INTEGRATION}/oauth/start", json={"login_url": SFEMU_URL, "client_id": CLIENT_ID}
    )
    assert started.status_code == 200, started.text
    parts = urlsplit(started.json()["authorize_url"])
    approved = sf_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    finished = person.client.get(f"{back.path}?{back.query}")
    assert finished.status_code == 200, finished.text


def _check(person: Any) -> dict[str, Any]:
    response = person.call("POST", f"{INTEGRATION}/check")
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


def _status(person: Any) -> dict[str, Any]:
    response = person.client.get(INTEGRATION)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ringsync_status(sqlite_url: str, account_id: int) -> Any:
    env = {"RINGSYNC_DATABASE_URL": sqlite_url, "RINGSYNC_ENV_FILE": "", "RINGSYNC_DEMO": "false"}
    return CliRunner().invoke(cli.app, ["status", "--account", str(account_id)], env=env)


def test_a_refused_refresh_token_shows_in_the_api_and_status_until_reconnected(
    world: Any, sf_app: Any, sf_http: httpx2.Client, sqlite_url: str, restore_root_logger: None
) -> None:
    admin = world.admin
    _oauth_connect(admin, sf_http)
    assert _status(admin)["state"] == "connected"
    assert _ringsync_status(sqlite_url, admin.account_id).exit_code == 0

    sf_app.state.sfemu.faults.add(
        {"kind": "token_invalid_grant", "grant_type": "refresh_token", "count": 1}
    )
    verdict = _check(admin)
    assert verdict["api_ok"] is False
    body = _status(admin)
    assert body["connected"] is True
    assert body["state"] == "needs_reauth"
    assert "invalid_grant" in body["last_error"]
    assert "Reconnect Salesforce" in body["last_error"]
    assert body["checked_at"] is not None

    shown = _ringsync_status(sqlite_url, admin.account_id)
    assert shown.exit_code == 1, shown.output
    assert "Salesforce: needs_reauth via oauth" in shown.stdout
    assert "Attention: Salesforce refused the stored login at " in shown.stdout
    assert "reconnect it (the Salesforce tab or ringsync connect)" in shown.stdout
    assert "invalid_grant" in shown.stdout

    # The refused token stays refused with the fault gone; the check does not hide the mark.
    sf_app.state.sfemu.faults.clear()
    assert _check(admin)["api_ok"] is False
    assert _status(admin)["state"] == "needs_reauth"

    _oauth_connect(admin, sf_http)  # the admin reconnects
    cleared = _status(admin)
    assert cleared["state"] == "connected"
    assert cleared["last_error"] is None
    assert _check(admin)["api_ok"] is True
    assert _status(admin)["state"] != "needs_reauth"
    after = _ringsync_status(sqlite_url, admin.account_id)
    assert "reconnect it" not in after.stdout


def test_a_failing_token_endpoint_is_not_a_refusal(
    world: Any, sf_app: Any, sf_http: httpx2.Client, sqlite_url: str, restore_root_logger: None
) -> None:
    admin = world.admin
    _oauth_connect(admin, sf_http)
    sf_app.state.sfemu.faults.add({"kind": "token_500", "grant_type": "refresh_token"})
    verdict = _check(admin)
    assert verdict["api_ok"] is False
    assert "HTTP 500" in verdict["api_error"]
    body = _status(admin)
    assert body["state"] == "failed"  # the check's outcome, retried later: no reconnect asked
    shown = _ringsync_status(sqlite_url, admin.account_id)
    assert "needs_reauth" not in shown.stdout
    assert "reconnect it" not in shown.stdout

    sf_app.state.sfemu.faults.clear()
    assert _check(admin)["api_ok"] is True  # the same refresh token still works


def test_a_later_successful_grant_clears_the_mark(world: Any, sf_app: Any, connect: Any) -> None:
    admin = world.admin
    assert connect(admin).status_code == 200
    sf_app.state.sfemu.faults.add(
        {"kind": "token_invalid_grant", "grant_type": "client_credentials", "count": 1}
    )
    assert _check(admin)["api_ok"] is False
    assert _status(admin)["state"] == "needs_reauth"

    assert _check(admin)["api_ok"] is True  # the app's credentials work again
    body = _status(admin)
    assert body["state"] != "needs_reauth"
    assert "invalid_grant" not in (body["last_error"] or "")
