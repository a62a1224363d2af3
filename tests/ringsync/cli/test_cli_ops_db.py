"""``ringsync db upgrade`` and ``ringsync db status``: schema states, exit codes, bad URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ringsync.store.db import create_db_engine
from ringsync.store.migrate import current_revisions, head_revisions, upgrade


def _url(cli_env: dict[str, str]) -> str:
    return cli_env["RINGSYNC_DATABASE_URL"]


def test_upgrade_creates_the_database_and_a_second_run_does_nothing(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    heads = ", ".join(head_revisions())
    first = invoke("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"from none to {heads}" in first.output
    second = invoke("db", "upgrade")
    assert second.exit_code == 0, second.output
    assert f"already up to date ({heads})" in second.output
    engine = create_db_engine(_url(cli_env))
    try:
        assert current_revisions(engine) == head_revisions()
    finally:
        engine.dispose()


def test_upgrade_takes_the_url_from_the_option(invoke: Any, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "other.db"
    result = invoke("db", "upgrade", "--database-url", f"sqlite:///{target}")
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_status_of_a_current_database_exits_0_with_json(invoke: Any) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    result = invoke("db", "status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["state"] == "current"
    assert report["current"] == list(head_revisions())
    assert report["advice"] == "up to date"


def test_status_of_a_database_behind_the_code_exits_1_and_says_upgrade(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    Path(cli_env["RINGSYNC_DATA_DIR"]).mkdir(parents=True)
    upgrade(_url(cli_env), "0002_leases")
    result = invoke("db", "status")
    assert result.exit_code == 1
    assert "Revision: 0002_leases" in result.stdout
    assert "State: behind (older than this code: run ringsync db upgrade)" in result.stdout
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("db", "status").exit_code == 0


def test_a_database_newer_than_the_code_is_reported_and_not_touched(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    engine = create_db_engine(_url(cli_env))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    status = invoke("db", "status", "--json")
    assert status.exit_code == 1
    assert json.loads(status.stdout)["state"] == "ahead"
    refused = invoke("db", "upgrade")
    assert refused.exit_code == 2
    assert "9999_future, which this ringsync does not know" in refused.stderr
    assert "Traceback" not in refused.output


def test_status_of_a_missing_sqlite_file_does_not_create_it(
    invoke: Any, cli_env: dict[str, str]
) -> None:
    result = invoke("db", "status")
    assert result.exit_code == 2
    assert "there is no database at" in result.stderr
    assert "run: ringsync db upgrade" in result.stderr
    assert not Path(_url(cli_env).removeprefix("sqlite:///")).exists()


def test_a_malformed_database_url_is_one_clear_error(invoke: Any) -> None:
    result = invoke("db", "upgrade", "--database-url", "not a url")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the database URL is not valid")
    assert "Traceback" not in result.output


def test_an_unreachable_postgres_hides_the_password(invoke: Any) -> None:
    url = "postgresql+psycopg://ringsync:hunter2-secret@127.0.0.1:1/ringsync?connect_timeout=2"
    for command in (
        ("db", "upgrade", "--database-url", url),
        ("db", "status", "--database-url", url),
    ):
        result = invoke(*command)
        assert result.exit_code == 2
        assert "Error: cannot open the database postgresql+psycopg://ringsync:***@127.0.0.1:1" in (
            result.stderr
        )
        assert "hunter2-secret" not in result.output
        assert "Traceback" not in result.output
