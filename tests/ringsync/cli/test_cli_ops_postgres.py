"""The operator commands on Postgres (skipped without a server, required under CI=true)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ringsync.store.scratch import scratch_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(postgres_admin_url: str) -> Iterator[str]:
    with scratch_postgres(postgres_admin_url, migrate=False) as url:
        yield url


def test_an_operator_session_on_postgres(invoke: Any, pg_url: str, tmp_path: Path) -> None:
    env: dict[str, str | None] = {"RINGSYNC_DATABASE_URL": pg_url}
    empty = invoke("db", "status", "--json", env=env)
    assert empty.exit_code == 1
    assert json.loads(empty.stdout)["state"] == "empty"

    assert invoke("db", "upgrade", env=env).exit_code == 0
    assert invoke("db", "status", env=env).exit_code == 0
    created = invoke("account", "create", "Acme Calls", env=env)
    assert created.exit_code == 0, created.output

    connected = invoke(
        "connect",
        "--account",
        "1",
        "--method",
        "client-credentials",
        "--login-url",
        "https://acme.my.salesforce.com",
        "--client-id",
        "app",
        "--no-check",
        env={**env, "RINGSYNC_SF_CLIENT_SECRET": "cc-secret"},
    )
    assert connected.exit_code == 0, connected.output

    exported = invoke(
        "settings", "export", "--account", "1", "--file", str(tmp_path / "s.json"), env=env
    )
    assert exported.exit_code == 0, exported.output
    imported = invoke(
        "settings", "import", "--account", "1", "--file", str(tmp_path / "s.json"), env=env
    )
    assert imported.exit_code == 0, imported.output

    status = invoke("status", "--json", env=env)
    assert status.exit_code == 0, status.output
    document = json.loads(status.stdout)
    assert document["database"]["state"] == "current"
    assert document["accounts"][0]["connection"]["state"] == "untested"
    assert "cc-secret" not in status.output
