"""Fixtures for the operator commands: an isolated environment, a migrated store, an account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ringsync import cli
from ringsync.domain.accounts import create_account
from ringsync.salesforce.tokens import generate_key
from ringsync.store.db import Database, open_database

Invoke = Callable[..., Any]


@pytest.fixture(autouse=True)
def _restore_root_logger(restore_root_logger: None) -> None:
    """Undo a command's logging set-up (its handler writes to a stream the runner closes)."""


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Return RINGSYNC_* variables pointing at a fresh folder (every key is restored after)."""
    return {
        "RINGSYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ringsync.db'}",
        "RINGSYNC_DATA_DIR": str(tmp_path / "var"),
        "RINGSYNC_DEMO": "false",
        "RINGSYNC_SECRET_KEY": "",
        "RINGSYNC_ENCRYPTION_KEYS": generate_key(),
        "RINGSYNC_ENV_FILE": "",
        "RINGSYNC_RUNNER": "celery",
        "RINGSYNC_BROKER_URL": "redis://127.0.0.1:6379/9",
        "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": "sfemu.test,*.my.salesforce.com,login.salesforce.com",
        "RINGSYNC_SF_CLIENT_SECRET": "",
        "RINGSYNC_SF_PASSWORD": "",
    }


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Invoke:
    """Return a runner of ``ringsync ARGS`` under ``cli_env`` (plus per-call overrides)."""

    def run(*args: str, env: dict[str, str | None] | None = None, stdin: str | None = None) -> Any:
        """Run the command; an env value of None unsets that variable for the call."""
        merged = {**cli_env, **(env or {})}
        return CliRunner().invoke(cli.app, list(args), env=merged, input=stdin)

    return run


@pytest.fixture
def database(cli_env: dict[str, str]) -> Iterator[Database]:
    """Return the migrated store the commands will use."""
    path = Path(cli_env["RINGSYNC_DATABASE_URL"].removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    db = open_database(cli_env["RINGSYNC_DATABASE_URL"])
    yield db
    db.dispose()


@pytest.fixture
def account_id(database: Database) -> int:
    """Create one account and return its id."""
    with database.write() as session:
        return create_account(session, "Acme Calls", time_zone="America/Denver").id
