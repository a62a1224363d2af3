"""``ringsync keys rotate``: every stored secret re-encrypted under the first key, or named."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from ringsync.clock import SystemClock
from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    KeyRing,
    SecretOutcome,
    load_spec,
    reencrypt_secret,
    save_connection,
)
from ringsync.domain.users import create_user
from ringsync.errors import AuthError
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.store import oauth_states
from ringsync.store.db import Database, open_database
from ringsync.store.repositories import connections as connection_repo

SECRETS = {"client_secret": "cs-never-shown", "password": "pw-never-shown"}


def _connect(database: Database, account_id: int, key: str) -> None:
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        "https://sfemu.test",
        "sfemu-client",
        "admin@sfemu.test",
        dict(SECRETS),
    )
    with database.write() as session:
        save_connection(
            session, account_id, spec, TokenCipher([key]), state=ConnectionState.CONNECTED
        )


def _blob(database: Database, account_id: int) -> str:
    with database.read() as session:
        row = connection_repo.get(session, account_id)
    assert row is not None
    return row.credentials


def _tries(key: str, blob: str) -> bool:
    try:
        TokenCipher([key]).decrypt(blob)
    except AuthError:
        return False
    return True


def _pending(database: Database, account_id: int, key: str, *, expires_in: timedelta) -> str:
    """Store a started sign-in whose verifier is encrypted under ``key``; return its digest."""
    now = SystemClock().now()
    digest = f"{account_id:08d}" + generate_key()[:40]
    with database.write() as session:
        user = create_user(session, account_id, email=f"admin{digest[:12]}@example.com")
        oauth_states.add(
            session,
            oauth_states.PendingAuthorization(
                digest=digest,
                account_id=account_id,
                user_id=user.id,
                session_digest="0" * 64,
                login_url="https://sfemu.test",
                client_id="sfemu-client",
                redirect_uri="http://localhost/cb",
                secrets=TokenCipher([key]).encrypt('{"code_verifier": "verifier-never-shown"}'),
                created_at=now,
                expires_at=now + expires_in,
            ),
        )
    return digest


def _sign_in_blob(database: Database, digest: str) -> str:
    with database.read() as session:
        found = connection_repo.oauth_secrets_of(session, digest)
    assert found is not None
    return found


def _second_account(database: Database, name: str) -> int:
    with database.write() as session:
        return create_account(session, name, time_zone="UTC").id


def test_rotate_moves_every_secret_to_the_first_key_and_is_idempotent(
    invoke: Any, database: Database, account_id: int
) -> None:
    old, new = generate_key(), generate_key()
    other = _second_account(database, "Beta Calls")
    _connect(database, account_id, old)
    _connect(database, other, new)  # already under the new key
    digest = _pending(database, account_id, old, expires_in=timedelta(minutes=10))

    result = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"})
    assert result.exit_code == 0, result.output
    assert (
        "Salesforce connections: 1 re-encrypted, 1 already under the first key, 0 unreadable"
        in result.stdout
    )
    assert "Pending sign-ins: 1 re-encrypted, 0 already under the first key" in result.stdout
    assert "the old keys can be dropped now" in result.stdout
    for secret in ("cs-never-shown", "pw-never-shown", "verifier-never-shown", old, new):
        assert secret not in result.output

    for blob in (
        _blob(database, account_id),
        _blob(database, other),
        _sign_in_blob(database, digest),
    ):
        assert _tries(new, blob)
        assert not _tries(old, blob)
    with database.read() as session:
        spec = load_spec(session, account_id, TokenCipher([new]))
    assert dict(spec.secrets) == SECRETS

    before = _blob(database, account_id)
    again = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"})
    assert again.exit_code == 0, again.output
    assert "Salesforce connections: 0 re-encrypted, 2 already under the first key" in again.stdout
    assert _blob(database, account_id) == before  # nothing rewritten the second time


def test_check_counts_without_changing_anything(
    invoke: Any, database: Database, account_id: int
) -> None:
    old, new = generate_key(), generate_key()
    _connect(database, account_id, old)
    before = _blob(database, account_id)
    keys = {"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"}

    checked = invoke("keys", "rotate", "--check", env=keys)
    assert checked.exit_code == 1, checked.output
    assert "Salesforce connections: 1 not yet under the first key, 0 under it" in checked.stdout
    assert "1 secret(s) to re-encrypt: run ringsync keys rotate." in checked.stdout
    assert _blob(database, account_id) == before

    assert invoke("keys", "rotate", env=keys).exit_code == 0
    clean = invoke("keys", "rotate", "--check", env=keys)
    assert clean.exit_code == 0, clean.output
    assert "Every stored secret is under the first key." in clean.stdout


def test_a_secret_no_key_opens_is_named_by_account_and_the_rest_still_rotates(
    invoke: Any, database: Database, account_id: int
) -> None:
    lost, old, new = generate_key(), generate_key(), generate_key()
    other = _second_account(database, "Gamma Calls")
    _connect(database, account_id, lost)
    _connect(database, other, old)

    result = invoke("keys", "rotate", "--json", env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"})
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["connections"]["rotated"] == 1
    assert document["connections"]["unreadable"] == [account_id]
    assert document["done"] is False
    assert _tries(new, _blob(database, other))
    assert _tries(lost, _blob(database, account_id))  # left exactly as it was

    text = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"})
    assert text.exit_code == 1
    assert f"the Salesforce connection of account {account_id} (Acme Calls)" in text.stderr
    assert "no configured key opens it" in text.stderr
    for secret in ("cs-never-shown", "pw-never-shown", lost, old, new):
        assert secret not in text.output


def test_batches_of_one_reach_every_row(invoke: Any, database: Database, account_id: int) -> None:
    old, new = generate_key(), generate_key()
    accounts = [account_id, _second_account(database, "B"), _second_account(database, "C")]
    for each in accounts:
        _connect(database, each, old)
    result = invoke(
        "keys", "rotate", "--batch-size", "1", env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"}
    )
    assert result.exit_code == 0, result.output
    assert "Salesforce connections: 3 re-encrypted" in result.stdout
    assert all(_tries(new, _blob(database, each)) for each in accounts)


def test_expired_sign_ins_are_skipped_even_when_unreadable(
    invoke: Any, database: Database, account_id: int
) -> None:
    new = generate_key()
    _connect(database, account_id, new)
    _pending(database, account_id, generate_key(), expires_in=timedelta(minutes=-1))
    result = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": new})
    assert result.exit_code == 0, result.output
    assert "Pending sign-ins: 0 re-encrypted" in result.stdout
    assert "1 expired (skipped)" in result.stdout


def test_an_unreadable_live_sign_in_fails_the_rotation(
    invoke: Any, database: Database, account_id: int
) -> None:
    new = generate_key()
    _pending(database, account_id, generate_key(), expires_in=timedelta(minutes=5))
    result = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": new})
    assert result.exit_code == 1, result.output
    assert f"a pending Salesforce sign-in of account {account_id} (Acme Calls)" in result.stderr


def test_database_url_option_names_the_store(
    invoke: Any, database: Database, tmp_path: Path
) -> None:
    old, new = generate_key(), generate_key()
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    elsewhere = open_database(url)
    try:
        with elsewhere.write() as session:
            other = create_account(session, "Elsewhere", time_zone="UTC").id
        _connect(elsewhere, other, old)
        result = invoke(
            "keys",
            "rotate",
            "--database-url",
            url,
            env={"RINGSYNC_ENCRYPTION_KEYS": f"{new},{old}"},
        )
        assert result.exit_code == 0, result.output
        assert "elsewhere.db" in result.stdout
        assert _tries(new, _blob(elsewhere, other))
    finally:
        elsewhere.dispose()


def test_bad_input_exits_2_with_one_line(invoke: Any, database: Database, tmp_path: Path) -> None:
    missing_keys = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": ""})
    assert missing_keys.exit_code == 2
    assert missing_keys.stderr.startswith("Error: ")
    assert "RINGSYNC_ENCRYPTION_KEYS" in missing_keys.stderr

    bad_key = invoke("keys", "rotate", env={"RINGSYNC_ENCRYPTION_KEYS": f"{generate_key()},nope"})
    assert bad_key.exit_code == 2
    assert "number 2" in bad_key.stderr
    assert "nope" not in bad_key.output

    no_db = invoke("keys", "rotate", "--database-url", f"sqlite:///{tmp_path / 'none.db'}")
    assert no_db.exit_code == 2
    assert "there is no database" in no_db.stderr
    assert "Traceback" not in no_db.output


def test_a_secret_changed_meanwhile_is_read_again_not_overwritten() -> None:
    old, new = generate_key(), generate_key()
    ring = KeyRing.of([new, old])
    first = TokenCipher([old]).encrypt(orjson.dumps({"refresh_token": "one"}).decode())
    saved_meanwhile = TokenCipher([new]).encrypt(orjson.dumps({"refresh_token": "two"}).decode())
    writes: list[str] = []

    def replace(seen: str, rotated: str) -> bool:
        writes.append(rotated)
        return False  # another process saved a rotated refresh token in between

    outcome = reencrypt_secret(
        first, ring, dry_run=False, reread=lambda: saved_meanwhile, replace=replace
    )
    assert outcome is SecretOutcome.CURRENT  # the newer secret was already under the new key
    assert len(writes) == 1

    gone = reencrypt_secret(first, ring, dry_run=False, reread=lambda: None, replace=replace)
    assert gone is SecretOutcome.GONE


def test_replacing_credentials_is_a_compare_and_set(database: Database, account_id: int) -> None:
    key = generate_key()
    _connect(database, account_id, key)
    stored = _blob(database, account_id)
    with database.write() as session:
        assert not connection_repo.replace_credentials(session, account_id, "stale", "x")
        assert connection_repo.replace_credentials(session, account_id, stored, "y")
    assert _blob(database, account_id) == "y"
