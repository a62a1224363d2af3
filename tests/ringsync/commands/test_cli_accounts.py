"""``ringsync account create``, ``ringsync user create`` and ``ringsync serve`` (startup checks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ringsync import cli
from ringsync.commands import serve as serve_module
from ringsync.store.db import open_database
from ringsync.store.tables import User

PASSWORD = "a long enough password"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "RINGSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli' / 'ringsync.db'}",
        "RINGSYNC_SECRET_KEY": "",
        "RINGSYNC_DEMO": "false",
    }


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli.app, list(args), env=env, input=stdin)


def _account(env: dict[str, str]) -> int:
    result = _run(env, "account", "create", "Acme Calls", "--time-zone", "America/Denver")
    assert result.exit_code == 0, result.output
    match = re.search(r"Created account (\d+) \(Acme Calls\)", result.output)
    assert match, result.output
    return int(match.group(1))


def test_create_an_account_and_an_admin(env: dict[str, str]) -> None:
    account_id = _account(env)
    result = _run(
        env,
        "user",
        "create",
        "--account",
        str(account_id),
        "--email",
        "boss@example.com",
        "--role",
        "admin",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin" in result.output
    assert PASSWORD not in result.output
    database = open_database(env["RINGSYNC_DATABASE_URL"])
    try:
        with database.read() as session:
            user = session.query(User).filter_by(email="boss@example.com").one()
        assert user.role == "admin"
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
    finally:
        database.dispose()


def test_password_from_stdin(env: dict[str, str]) -> None:
    account_id = _account(env)
    result = _run(
        env,
        "user",
        "create",
        "--account",
        str(account_id),
        "--email",
        "agent@example.com",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created agent" in result.output


def test_bad_account_input_is_one_clear_error(env: dict[str, str]) -> None:
    result = _run(env, "account", "create", "X", "--region", "ZZ", "--time-zone", "Mars/Base")
    assert result.exit_code == 2
    assert "Error: the account cannot be created" in result.output
    assert "default_region" in result.output
    assert "time_zone" in result.output
    assert "Traceback" not in result.output


def test_bad_user_input_is_one_clear_error(env: dict[str, str]) -> None:
    account_id = _account(env)
    result = _run(
        env,
        "user",
        "create",
        "--account",
        str(account_id),
        "--email",
        "nope",
        "--role",
        "boss",
        "--no-password",
    )
    assert result.exit_code == 2
    assert "email:" in result.output
    assert "role:" in result.output


def test_unknown_account_and_short_password(env: dict[str, str]) -> None:
    missing = _run(
        env, "user", "create", "--account", "999", "--email", "a@example.com", "--no-password"
    )
    assert missing.exit_code == 2
    assert "account 999 does not exist" in missing.output
    short = _run(
        env,
        "user",
        "create",
        "--account",
        "1",
        "--email",
        "a@example.com",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output


def test_serve_without_a_secret_key_stops_with_a_clear_message(env: dict[str, str]) -> None:
    result = _run(env, "serve")
    assert result.exit_code == 2
    assert "RINGSYNC_SECRET_KEY is not set" in result.output


def test_serve_runs_uvicorn_with_the_app(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[dict[str, Any]] = []

    def fake_run(app: Any, **options: Any) -> None:
        served.append({"app": app, **options})

    monkeypatch.setattr(serve_module.uvicorn, "run", fake_run)
    result = _run({**env, "RINGSYNC_SECRET_KEY": "s" * 40}, "serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert served[0]["port"] == 8123
    assert served[0]["access_log"] is False
    assert served[0]["app"].openapi_url == "/api/v1/openapi.json"
