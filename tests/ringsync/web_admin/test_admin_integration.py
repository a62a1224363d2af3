"""Connecting Salesforce: OAuth code + PKCE against sfemu, state checks, server logins, status."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import orjson
import pytest

from ringsync.clock import FrozenClock, SystemClock
from ringsync.errors import ConfigError
from ringsync.salesforce.authorize import pkce_challenge
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import SalesforceAccess

SFEMU_URL = "https://sfemu.test"
CLIENT_ID = "sfemu-client"
START = "/api/v1/admin/integration/oauth/start"
INTEGRATION = "/api/v1/admin/integration"


def start(person: Any) -> dict[str, Any]:
    response = person.call("POST", START, json={"login_url": SFEMU_URL, "client_id": CLIENT_ID})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def authorize(sf_http: httpx2.Client, authorize_url: str) -> str:
    """Follow the authorize URL at sfemu without following its redirect; return the callback."""
    parts = urlsplit(authorize_url)
    response = sf_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("http://localhost/api/v1/admin/integration/oauth/callback?")
    return location


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_start_returns_a_pkce_s256_authorize_url_and_keeps_the_verifier_server_side(
    world: Any, database: Database
) -> None:
    body = start(world.admin)
    url = urlsplit(body["authorize_url"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{SFEMU_URL}/services/oauth2/authorize"
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://localhost/api/v1/admin/integration/oauth/callback"]
    assert len(query["state"][0]) >= 32
    assert "code_verifier" not in query
    # The verifier is stored encrypted, under the state's digest: neither appears in the clear.
    raw = Path(str(database.engine.url.database)).read_bytes()
    assert query["state"][0].encode() not in raw
    challenge = query["code_challenge"][0]
    assert len(challenge) == 43  # base64url of a SHA-256 digest, no padding
    assert challenge != pkce_challenge(query["state"][0])


def test_oauth_round_trip_against_sfemu_connects_and_stores_tokens_encrypted(
    world: Any, sf_http: httpx2.Client, database: Database, access: SalesforceAccess
) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    response = world.admin.client.get(callback_path(location))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["connected"] is True
    assert body["method"] == "oauth"
    assert body["instance_url"] == SFEMU_URL
    assert body["org_id"].startswith("00D")
    assert body["user_id"].startswith("005")
    assert "refresh_token" not in response.text
    with database.read() as session:
        row = connection_repo.get(session, world.admin.account_id)
    assert row is not None
    secrets = orjson.loads(access.cipher.decrypt(row.credentials))
    refresh = secrets["refresh_token"]
    assert len(refresh) > 10
    db_file = Path(str(database.engine.url.database))
    for path in (db_file, Path(f"{db_file}-wal")):
        if path.exists():
            assert refresh.encode() not in path.read_bytes()
    status = world.admin.client.get(INTEGRATION).json()
    assert status["connected"] is True
    assert status["state"] == "connected"


def test_a_browser_coming_back_is_sent_to_the_salesforce_tab(
    world: Any, sf_http: httpx2.Client
) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    response = world.admin.client.get(
        callback_path(location), headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/salesforce?connected=1"
    replayed = world.admin.client.get(
        callback_path(location), headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/salesforce?connect_error=oauth_state_invalid"


def test_a_replayed_callback_is_refused(
    world: Any, sf_http: httpx2.Client, expect_error: Any
) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    assert world.admin.client.get(callback_path(location)).status_code == 200
    again = world.admin.client.get(callback_path(location))
    expect_error(again, 400, "oauth_state_invalid")


def test_a_missing_state_is_refused(world: Any, expect_error: Any) -> None:
    response = world.admin.client.get(f"{INTEGRATION}/oauth/callback?code=abc")
    error = expect_error(response, 400, "oauth_state_invalid")
    assert "state" in error["message"]


def test_a_mismatched_state_is_refused_and_nothing_is_stored(
    world: Any, sf_http: httpx2.Client, database: Database, expect_error: Any
) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    forged = location.replace("state=", "state=x")
    expect_error(world.admin.client.get(callback_path(forged)), 400, "oauth_state_invalid")
    with database.read() as session:
        assert connection_repo.get(session, world.admin.account_id) is None


def test_a_state_started_in_another_session_is_refused(
    world: Any, sf_http: httpx2.Client, expect_error: Any
) -> None:
    location = authorize(sf_http, start(world.other_admin)["authorize_url"])
    expect_error(world.admin.client.get(callback_path(location)), 400, "oauth_state_invalid")


def test_an_expired_state_is_refused(
    world: Any, sf_http: httpx2.Client, clock: FrozenClock, expect_error: Any
) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    clock.advance(timedelta(minutes=11).total_seconds())
    expect_error(world.admin.client.get(callback_path(location)), 400, "oauth_state_invalid")


def test_a_denied_sign_in_is_refused_after_the_state_check(world: Any, expect_error: Any) -> None:
    state = parse_qs(urlsplit(start(world.admin)["authorize_url"]).query)["state"][0]
    response = world.admin.client.get(
        f"{INTEGRATION}/oauth/callback?state={state}&error=access_denied%3Cscript%3E"
    )
    error = expect_error(response, 400, "salesforce_denied")
    assert "(access_deniedscript)" in error["message"]


@pytest.mark.parametrize("sf_config", [{"public_base_url": "https://evil.example"}], indirect=True)
def test_an_instance_url_outside_the_allowed_hosts_is_refused(
    world: Any, sf_http: httpx2.Client, database: Database, expect_error: Any
) -> None:
    body = start(world.admin)
    parts = urlsplit(body["authorize_url"])
    response = sf_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    callback = world.admin.client.get(callback_path(response.headers["location"]))
    error = expect_error(callback, 422, "auth_error")
    assert "evil.example" in error["message"]
    with database.read() as session:
        assert connection_repo.get(session, world.admin.account_id) is None


def test_start_refuses_a_login_host_that_is_not_allowed(world: Any, expect_error: Any) -> None:
    response = world.admin.call(
        "POST", START, json={"login_url": "https://login.evil.example", "client_id": CLIENT_ID}
    )
    error = expect_error(response, 422, "auth_error")
    assert "not an allowed Salesforce host" in error["message"]


def test_client_credentials_connect_then_status_check_and_disconnect(
    world: Any, database: Database, connect: Any
) -> None:
    response = connect(world.admin)
    assert response.status_code == 200, response.text
    assert response.json()["method"] == "client_credentials"
    check = world.admin.call("POST", f"{INTEGRATION}/check")
    assert check.status_code == 200, check.text
    verdict = check.json()
    assert verdict["api_ok"] is True
    assert verdict["fields"], "every mapped field gets a line"
    assert {f["sobject"] for f in verdict["fields"]} == {"Lead"}
    for line in verdict["fields"]:
        assert line["ok"] or line["fix"]
    status = world.admin.client.get(INTEGRATION).json()
    assert status["checked_at"] is not None
    assert status["api_budget"]["our_calls"] >= 1
    db_file = Path(str(database.engine.url.database))
    for path in (db_file, Path(f"{db_file}-wal")):
        if path.exists():
            assert b"sfemu-secret" not in path.read_bytes()
    gone = world.admin.call("DELETE", INTEGRATION)
    assert gone.status_code == 200, gone.text
    assert gone.json()["connected"] is False
    with database.read() as session:
        assert connection_repo.get(session, world.admin.account_id) is None


def test_oauth_disconnect_revokes_the_refresh_token(world: Any, sf_http: httpx2.Client) -> None:
    location = authorize(sf_http, start(world.admin)["authorize_url"])
    assert world.admin.client.get(callback_path(location)).status_code == 200
    gone = world.admin.call("DELETE", INTEGRATION)
    assert gone.status_code == 200, gone.text
    assert gone.json()["revoked"] is True


def test_a_wrong_client_secret_is_refused_with_salesforces_reason(
    world: Any, expect_error: Any
) -> None:
    response = world.admin.call(
        "POST",
        f"{INTEGRATION}/connect",
        json={
            "method": "client_credentials",
            "login_url": SFEMU_URL,
            "client_id": CLIENT_ID,
            "client_secret": "not-the-secret",
        },
    )
    error = expect_error(response, 422, "auth_error")
    assert "not-the-secret" not in response.text
    assert "invalid_client" in error["message"]


def test_connect_lists_every_missing_piece(world: Any, expect_error: Any) -> None:
    response = world.admin.call(
        "POST",
        f"{INTEGRATION}/connect",
        json={"method": "jwt", "login_url": "http://sfemu.test", "client_id": CLIENT_ID},
    )
    error = expect_error(response, 422, "validation_error")
    fields = {d["field"] for d in error["details"]}
    assert fields == {"login_url", "username", "private_key"}


def test_check_and_disconnect_without_a_connection(world: Any, expect_error: Any) -> None:
    expect_error(world.admin.call("POST", f"{INTEGRATION}/check"), 422, "salesforce_not_connected")
    expect_error(world.admin.call("DELETE", INTEGRATION), 404, "not_found")
    assert world.admin.client.get(INTEGRATION).json() == {
        "connected": False,
        "method": None,
        "login_url": None,
        "instance_url": None,
        "org_id": None,
        "user_id": None,
        "username": None,
        "state": None,
        "last_error": None,
        "connected_at": None,
        "checked_at": None,
        "api_budget": None,
        "revoked": None,
    }


def test_a_jwt_key_that_cannot_sign_is_refused_before_any_call(
    world: Any, expect_error: Any
) -> None:
    response = world.admin.call(
        "POST",
        f"{INTEGRATION}/connect",
        json={
            "method": "jwt",
            "login_url": SFEMU_URL,
            "client_id": CLIENT_ID,
            "username": "admin@sfemu.test",
            "private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
        },
    )
    error = expect_error(response, 422, "config_error")
    assert "not a valid RSA private key" in error["message"]
    assert "not a key" not in response.text


def test_without_encryption_keys_the_access_says_which_setting_to_set(tmp_path: Path) -> None:
    settings = Settings(secret_key="k" * 40, data_dir=tmp_path, demo=False)
    access = SalesforceAccess.from_settings(settings, SystemClock())
    try:
        with pytest.raises(ConfigError, match="RINGSYNC_ENCRYPTION_KEYS"):
            _ = access.cipher
    finally:
        access.close()
