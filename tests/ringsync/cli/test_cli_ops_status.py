"""``ringsync status``: what an operator sees about the schema, accounts, backlog and runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    record_check,
    save_connection,
)
from ringsync.domain.contacts import create_contact
from ringsync.operations.model import OperationKind
from ringsync.operations.store import add as add_operation
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.salesforce.tokens import TokenCipher
from ringsync.store.db import Database, create_db_engine
from ringsync.store.repositories.sync_failed import record_failure
from ringsync.store.repositories.sync_log import RunStatus, finish_run, start_run

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _busy_account(database: Database, account_id: int, key: str) -> None:
    """Give the account a failed connection check, a pending change, a failure, a run, a lease."""
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        "https://sfemu.test",
        "sfemu-client",
        "admin@sfemu.test",
        {"client_secret": "sfemu-secret", "password": "pw-never-shown"},
    )
    with database.write() as session:
        save_connection(
            session, account_id, spec, TokenCipher([key]), state=ConnectionState.CONNECTED
        )
        record_check(session, account_id, error="Salesforce refused the password grant")
        create_contact(session, account_id, {"phone": "+13035550123", "first_name": "Ann"})
        record_failure(
            session,
            account_id,
            contact_id=None,
            sobject="Lead",
            record_id="00Q000000000001AAA",
            operation="update",
            payload={},
            error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
            message="Company is required",
            at=AT,
        )
        run = start_run(session, account_id, "inbound", "Lead", AT)
        finish_run(session, account_id, run, RunStatus.SUCCEEDED, {"created": 2}, AT)
        add_operation(session, account_id, OperationKind.PULL_LEAD_STATUSES, {}, None, AT)
    LeaseRepository(database).acquire(account_lease_key(account_id), "worker-7", 600)


def test_status_shows_each_part_of_a_busy_account_and_exits_1(
    invoke: Any, account_id: int, database: Database, cli_env: dict[str, str]
) -> None:
    _busy_account(database, account_id, cli_env["RINGSYNC_ENCRYPTION_KEYS"])
    result = invoke("status", "--account", str(account_id))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Schema: " in out
    assert "(up to date)" in out
    assert "Runner: celery (broker redis://127.0.0.1:6379/9)" in out
    assert f"Account {account_id}: Acme Calls" in out
    assert "Salesforce: failed via password at https://sfemu.test" in out
    assert "Outbox: 1 pending, oldest" in out
    assert "Failed records: 1" in out
    assert "Syncing now: worker-7 (lease until" in out
    assert "Last inbound Lead: succeeded at 2026-11-23T09:00:00+00:00 (created 2)" in out
    assert "Operation 1 pull_lead_statuses: queued 0" in out
    assert "Attention: the last login failed: Salesforce refused the password grant" in out
    assert "Attention: 1 record(s) in the failed list" in out
    assert "pw-never-shown" not in result.output
    assert "5550123" not in result.output


def test_status_json_carries_the_same_facts(
    invoke: Any, account_id: int, database: Database, cli_env: dict[str, str]
) -> None:
    _busy_account(database, account_id, cli_env["RINGSYNC_ENCRYPTION_KEYS"])
    result = invoke("status", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["database"]["state"] == "current"
    assert document["attention"] is True
    (account,) = document["accounts"]
    assert account["id"] == account_id
    assert account["connection"]["state"] == "failed"
    assert "credentials" not in account["connection"]
    assert account["backlog"]["pending"] == 1
    assert account["failed_records"] == 1
    assert account["sync_lease"]["holder"] == "worker-7"
    assert account["last_runs"][0]["totals"] == {"created": 2}
    assert account["active_operations"][0]["kind"] == "pull_lead_statuses"


def test_a_quiet_connected_account_needs_no_attention(
    invoke: Any, account_id: int, database: Database, cli_env: dict[str, str]
) -> None:
    spec = ConnectionSpec(
        ConnectionMethod.CLIENT_CREDENTIALS,
        "https://acme.my.salesforce.com",
        "app",
        secrets={"client_secret": "s"},
    )
    with database.write() as session:
        save_connection(
            session,
            account_id,
            spec,
            TokenCipher([cli_env["RINGSYNC_ENCRYPTION_KEYS"]]),
            state=ConnectionState.CONNECTED,
            instance_url="https://acme.my.salesforce.com",
        )
    result = invoke("status")
    assert result.exit_code == 0, result.output
    assert "Salesforce: connected via client_credentials at https://acme.my.salesforce.com" in (
        result.stdout
    )
    assert "Outbox: 0 pending, 0 failed" in result.stdout
    assert "Attention" not in result.stdout


def test_status_of_a_fresh_database_says_there_are_no_accounts(
    invoke: Any, database: Database
) -> None:
    result = invoke("status")
    assert result.exit_code == 0, result.output
    assert "No accounts yet (ringsync account create NAME)." in result.stdout


def test_status_of_an_empty_database_says_to_upgrade(invoke: Any, cli_env: dict[str, str]) -> None:
    Path(cli_env["RINGSYNC_DATA_DIR"]).mkdir(parents=True)
    create_db_engine(cli_env["RINGSYNC_DATABASE_URL"]).connect().close()
    result = invoke("status")
    assert result.exit_code == 1
    assert "Schema: none (no schema yet: run ringsync db upgrade)" in result.stdout


def test_status_hides_the_broker_password(invoke: Any, database: Database) -> None:
    result = invoke("status", env={"RINGSYNC_BROKER_URL": "redis://:s3cret-pw@cache:6380/2"})
    assert result.exit_code == 0
    assert "broker redis://cache:6380/2" in result.stdout
    assert "s3cret-pw" not in result.output


def test_status_of_an_unknown_account_or_missing_database_is_one_clear_error(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    missing = invoke("status")
    assert missing.exit_code == 2
    assert "there is no database at" in missing.stderr
    assert not Path(cli_env["RINGSYNC_DATABASE_URL"].removeprefix("sqlite:///")).exists()
    assert invoke("db", "upgrade").exit_code == 0
    unknown = invoke("status", "--account", "77")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "Error: account 77 does not exist"


def test_a_malformed_option_is_refused_by_the_parser(invoke: Any, database: Database) -> None:
    result = invoke("status", "--account", "abc")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Invalid value for '--account'" in " ".join(result.output.split())


def test_status_of_a_schema_behind_the_code_shows_what_exists(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    from ringsync.domain.accounts import create_account
    from ringsync.store.db import open_database
    from ringsync.store.migrate import upgrade

    Path(cli_env["RINGSYNC_DATA_DIR"]).mkdir(parents=True)
    upgrade(cli_env["RINGSYNC_DATABASE_URL"], "0002_leases")
    database = open_database(cli_env["RINGSYNC_DATABASE_URL"], migrate=False)
    try:
        with database.write() as session:
            create_account(session, "Old Schema Co")
    finally:
        database.dispose()
    result = invoke("status", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["database"]["state"] == "behind"
    (account,) = document["accounts"]
    assert account["name"] == "Old Schema Co"
    assert account["connection"] is None
    assert account["failed_records"] is None
    assert account["last_runs"] is None
    assert account["active_operations"] is None
    assert account["problems"] == []
