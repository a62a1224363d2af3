"""``ringsync op ...`` and ``ringsync users sync`` over sfemu: output, JSON, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ringsync.cli import app
from ringsync.commands.operations import OperationsWiring
from ringsync.domain.accounts import create_account
from ringsync.operations.model import OperationKind
from ringsync.operations.runner import OperationRunner
from ringsync.store.db import open_database

AddUser = Callable[..., int]
AddSfUser = Callable[..., str]


@pytest.fixture
def wiring(runner: OperationRunner) -> OperationsWiring:
    @contextmanager
    def open_runner(account_id: int) -> Iterator[OperationRunner]:
        del account_id
        yield runner

    return OperationsWiring(open_runner)


def _invoke(wiring: OperationsWiring, *args: Any) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], obj=wiring)


def test_preview_prints_counts_and_changes_nothing(
    wiring: OperationsWiring, runner: OperationRunner, account_id: int
) -> None:
    result = _invoke(wiring, "op", "preview", "pull-lead-statuses", "--account", account_id)

    assert result.exit_code == 0, result.output
    assert "Preview of pull_lead_statuses (nothing was changed)" in result.output
    assert "created: 4" in result.output
    assert "Salesforce API calls: 1" in result.output
    assert runner.latest(account_id) is None


def test_preview_as_json(wiring: OperationsWiring, account_id: int) -> None:
    result = _invoke(wiring, "op", "preview", "sync_users", "--account", account_id, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "sync_users"
    assert data["counts"] == {"unsynchronized_owner": 1}  # the org's admin


def test_run_then_status_then_cancel_of_a_finished_operation(
    wiring: OperationsWiring, account_id: int
) -> None:
    ran = _invoke(wiring, "op", "run", "pull_lead_statuses", "--account", account_id)
    status = _invoke(
        wiring, "op", "status", "pull_lead_statuses", "--account", account_id, "--json"
    )
    cancel = _invoke(wiring, "op", "cancel", "pull_lead_statuses", "--account", account_id)

    assert ran.exit_code == 0, ran.output
    assert "pull_lead_statuses): succeeded, 4/4 done" in ran.output
    assert "created: 4" in ran.output
    assert json.loads(status.output)["status"] == "succeeded"
    assert cancel.exit_code == 2
    assert "has already succeeded; nothing to cancel" in cancel.output


def test_cancel_of_a_queued_operation(
    wiring: OperationsWiring, runner: OperationRunner, account_id: int
) -> None:
    queued = runner.start(account_id, OperationKind.SYNC_USERS)

    result = _invoke(wiring, "op", "cancel", "sync_users", "--account", account_id)

    assert result.exit_code == 0, result.output
    assert f"Operation {queued.id} cancelled." in result.output


def test_a_second_run_of_an_active_kind_is_refused_with_exit_2(
    wiring: OperationsWiring, runner: OperationRunner, account_id: int
) -> None:
    queued = runner.start(account_id, OperationKind.SYNC_USERS)

    result = _invoke(wiring, "op", "run", "sync_users", "--account", account_id)

    assert result.exit_code == 2
    assert f"a sync_users operation (#{queued.id}) is already queued" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("op", "run", "teleport", "--account", "1"), "unknown operation 'teleport'"),
        (("op", "status", "sync_users", "--account", "999999"), "has no sync_users operation"),
        (
            ("op", "run", "sync_users", "--account", "1", "--param", "oops"),
            "--param takes key=value",
        ),
        (("op", "run", "import_list", "--account", "1"), "import_list: source must be one of"),
        (("users", "sync", "--account", "999999"), "account 999999 does not exist"),
    ],
    ids=["unknown-kind", "no-operation", "bad-param", "bad-import", "unknown-account"],
)
def test_bad_input_exits_2_with_one_clear_line(
    wiring: OperationsWiring, args: tuple[str, ...], message: str
) -> None:
    result = _invoke(wiring, *args)

    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("Error: ")


def test_users_sync_prints_every_group_and_the_time(
    wiring: OperationsWiring, account_id: int, add_user: AddUser, add_sf_user: AddSfUser
) -> None:
    add_user("ana@example.com")
    add_user("lone@example.com")
    add_sf_user("ana@example.com")

    result = _invoke(wiring, "users", "sync", "--account", account_id)

    assert result.exit_code == 0, result.output
    assert "Users synced at 2026-03-01T09:00:00+00:00" in result.output
    assert "mapped: 1\n  ana@example.com (same email)" in result.output
    assert "unmatched: 1\n  lone@example.com (no Salesforce user has this email)" in result.output
    assert "unsynchronized owners: 1" in result.output


def test_users_sync_as_json(
    wiring: OperationsWiring, account_id: int, add_user: AddUser, add_sf_user: AddSfUser
) -> None:
    add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")

    result = _invoke(wiring, "users", "sync", "--account", account_id, "--json")

    data = json.loads(result.output)
    assert data["counts"]["mapped"] == 1
    assert data["mapped"][0]["detail"]["salesforce_user_id"] == sf_ana
    assert data["last_synced_at"] == "2026-03-01T09:00:00+00:00"


def test_without_a_stored_connection_the_command_says_how_to_connect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    database = open_database(url)
    with database.write() as session:
        account = create_account(session, "Not connected").id
    database.dispose()
    monkeypatch.setenv("RINGSYNC_DATABASE_URL", url)
    for name in ("URL", "USERNAME", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(f"RINGSYNC_SALESFORCE_{name}", raising=False)

    result = CliRunner().invoke(
        app, ["op", "preview", "pull_lead_statuses", "--account", str(account)]
    )

    assert result.exit_code == 2
    assert "Salesforce is not connected for this account" in result.output


def test_an_incomplete_login_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "USERNAME", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(f"RINGSYNC_SALESFORCE_{name}", raising=False)

    result = CliRunner().invoke(
        app,
        ["op", "--salesforce-url", "https://sfemu.test", "preview", "sync_users", "--account", "1"],
    )

    assert result.exit_code == 2
    assert "incomplete Salesforce login" in result.output
    assert "RINGSYNC_SALESFORCE_USERNAME" in result.output
