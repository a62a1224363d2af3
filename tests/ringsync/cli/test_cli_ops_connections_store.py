"""The connections table, its migration, and the service that encrypts and rebuilds logins."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.migrations import check_tables_round_trip
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    authenticator_for,
    load_spec,
    save_connection,
    save_secret,
    spec_problems,
)
from ringsync.errors import AuthError, ConfigError, NotFoundError, ValidationError
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.store.connections import CONNECTION_TABLES
from ringsync.store.db import Database

NAMES = {table.name for table in CONNECTION_TABLES}


def test_migration_matches_the_table_and_rolls_back(tmp_path: Path) -> None:
    check_tables_round_trip(tmp_path / "connections.db", NAMES, "0004_operations")


HOSTS = HostPolicy(["*.my.salesforce.com", "login.salesforce.com"])
OAUTH = ConnectionSpec(
    ConnectionMethod.OAUTH,
    "https://login.salesforce.com",
    "app",
    secrets={"refresh_token": "rt-1", "client_secret": "cs"},
)


def test_a_rotated_secret_is_saved_under_the_first_key(database: Database, account_id: int) -> None:
    old, new = generate_key(), generate_key()
    with database.write() as session:
        save_connection(
            session, account_id, OAUTH, TokenCipher([old]), state=ConnectionState.CONNECTED
        )
    rotated = TokenCipher([new, old])
    with database.write() as session:
        save_secret(session, account_id, rotated, "refresh_token", "rt-2")
    with database.read() as session:
        spec = load_spec(session, account_id, TokenCipher([new]))
        assert dict(spec.secrets) == {"refresh_token": "rt-2", "client_secret": "cs"}
        with pytest.raises(AuthError, match="cannot be decrypted"):
            load_spec(session, account_id, TokenCipher([old]))


def test_an_account_without_a_connection_or_at_all_is_refused(
    database: Database, account_id: int
) -> None:
    cipher = TokenCipher([generate_key()])
    with database.read() as session, pytest.raises(ConfigError, match="run ringsync connect"):
        load_spec(session, account_id, cipher)
    with database.write() as session, pytest.raises(NotFoundError):
        save_connection(session, account_id + 9, OAUTH, cipher, state=ConnectionState.UNTESTED)


def test_an_oauth_connection_needs_a_place_for_rotated_tokens() -> None:
    with pytest.raises(ConfigError, match="rotated refresh token"):
        authenticator_for(OAUTH, None, HOSTS)  # type: ignore[arg-type]  # never reached


def test_every_missing_part_of_a_spec_is_listed() -> None:
    spec = ConnectionSpec(ConnectionMethod.PASSWORD, "https://evil.example", "", None, {})
    assert [(p.field, p.code) for p in spec_problems(spec, HOSTS)] == [
        ("login_url", "bad_host"),
        ("client_id", "invalid"),
        ("username", "required"),
        ("client_secret", "required"),
        ("password", "required"),
    ]
    with pytest.raises(ValidationError) as info:
        authenticator_for(spec, None, HOSTS)  # type: ignore[arg-type]  # refused before use
    assert len(info.value.problems) == 5
