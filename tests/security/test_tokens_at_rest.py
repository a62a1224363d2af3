"""Salesforce credentials are unreadable in the database file, and forged hosts are refused.

The bytes of the SQLite file and its ``-wal``/``-shm`` companions are read after a real OAuth
connect, a push (the access token in use), a forced session expiry (a refresh) and a client
credentials connect. Neither token, the client secret, nor the Fernet key may appear. Related
checks live beside their code: MultiFernet rotation and wrong-key errors in
tests/ringsync/salesforce/test_sfclient_tokens.py; one refresh for twenty concurrent 401s,
rotated refresh tokens saved before use, and revoked tokens needing re-auth in
tests/ringsync/salesforce/test_sfclient_auth_flows.py; PKCE S256 and one-time ``state`` bound to
the admin's session in tests/ringsync/web_admin/test_admin_integration.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson
import pytest

from ringsync.errors import AuthError
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.store.db import Database
from ringsync.store.repositories import connections as connection_repo

A = "/api/v1/admin"


def _file_bytes(database: Database) -> bytes:
    """Return the SQLite file's bytes followed by its WAL and shared-memory files' bytes."""
    main = Path(str(database.engine.url.database))
    return b"".join(
        p.read_bytes() for p in (main, Path(f"{main}-wal"), Path(f"{main}-shm")) if p.exists()
    )


def _oauth_connect(admin: Any, sf_http: httpx2.Client) -> Any:
    started = admin.call(
        "POST",
        f"{A}/integration/oauth/start",
        json={"login_url": "https://sfemu.test", "client_id": "sfemu-client"},
    )
    assert started.status_code == 200, started.text
    parts = urlsplit(started.json()["authorize_url"])
    granted = sf_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    back = urlsplit(granted.headers["location"])
    return admin.client.get(f"{back.path}?{back.query}")


@pytest.fixture
def encryption_key(settings: Any) -> str:
    key: str = settings.encryption_keys.get_secret_value()
    return key


def test_tokens_are_unreadable_in_the_database_files_after_connect_use_and_refresh(
    world: Any,
    sf_http: httpx2.Client,
    database: Database,
    secrets_seen: Any,
    encryption_key: str,
) -> None:
    admin = world.admin
    connected = _oauth_connect(admin, sf_http)
    assert connected.status_code == 200, connected.text
    with database.read() as session:
        row = connection_repo.get(session, admin.account_id)
    assert row is not None
    stored = orjson.loads(TokenCipher([encryption_key]).decrypt(row.credentials))
    assert stored["refresh_token"].startswith("5Aep861")
    assert admin.call("POST", f"{A}/integration/check").status_code == 200
    assert sf_http.post("/__sfemu/sessions/expire").status_code == 200
    assert admin.call("POST", f"{A}/integration/check").status_code == 200  # refreshes
    tokens = [v for v in secrets_seen.values if v.startswith(("00D", "5Aep861"))]
    assert len(tokens) >= 3  # first access token, refresh token, access token after refresh
    raw = _file_bytes(database)
    assert len(raw) > 10_000
    for secret in [*tokens, encryption_key, "sfemu-secret"]:
        assert secret.encode() not in raw, f"{secret[:8]}... is readable in the database file"


def test_a_client_secret_is_stored_encrypted_too(
    world: Any, connect: Any, database: Database, encryption_key: str
) -> None:
    assert connect(world.admin).status_code == 200
    with database.read() as session:
        row = connection_repo.get(session, world.admin.account_id)
    assert row is not None
    assert "sfemu-secret" not in repr(row)
    assert b"sfemu-secret" not in _file_bytes(database)
    assert "sfemu-secret" in TokenCipher([encryption_key]).decrypt(row.credentials)


def test_another_key_cannot_read_the_stored_tokens(
    world: Any, connect: Any, database: Database
) -> None:
    assert connect(world.admin).status_code == 200
    with database.read() as session:
        row = connection_repo.get(session, world.admin.account_id)
    assert row is not None
    with pytest.raises(AuthError, match="RINGSYNC_ENCRYPTION_KEYS"):
        TokenCipher([generate_key()]).decrypt(row.credentials)


@pytest.mark.parametrize(
    "login_url",
    [
        "http://sfemu.test",  # not https
        "https://sfemu.test.evil.example",
        "https://evil.example/sfemu.test",
        "https://user@evil.example",
        "https://127.0.0.1",
        "https://login.salesforce.com.evil.example",
    ],
)
def test_forged_login_hosts_are_refused_before_any_credential_is_sent(
    world: Any, expect_error: Any, database: Database, login_url: str
) -> None:
    response = world.admin.call(
        "POST",
        f"{A}/integration/connect",
        json={
            "method": "client_credentials",
            "login_url": login_url,
            "client_id": "sfemu-client",
            "client_secret": "sfemu-secret",
        },
    )
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("auth_error", "validation_error", "config_error")
    with database.read() as session:
        assert connection_repo.get(session, world.admin.account_id) is None


@pytest.mark.parametrize("sf_config", [{"public_base_url": "https://evil.example"}], indirect=True)
def test_a_forged_instance_url_from_client_credentials_is_refused(
    world: Any, connect: Any, database: Database, expect_error: Any
) -> None:
    error = expect_error(connect(world.admin), 422, "auth_error")
    assert "evil.example" in error["message"]
    with database.read() as session:
        assert connection_repo.get(session, world.admin.account_id) is None
