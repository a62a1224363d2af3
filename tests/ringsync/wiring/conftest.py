"""Fixtures for wiring tests: a small demo world (sfemu over TLS, a connected account)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ringsync.commands.demo_setup import DemoOptions, DemoWorld, start_world

SMALL = {"leads": 40, "contacts": 20, "users": 3}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    """Start a small, fresh demo world and stop it after the test."""
    started = start_world(DemoOptions(data_dir=tmp_path / "demo", **SMALL))
    yield started
    started.close()


@pytest.fixture
def world_env(world: DemoWorld) -> dict[str, str]:
    """Return the environment a CLI command needs to reach the world's store and emulator."""
    assert world.server.ca_path is not None
    return {
        "RINGSYNC_DATABASE_URL": world.settings.database_url,
        "RINGSYNC_DATA_DIR": str(world.settings.data_dir),
        "RINGSYNC_DEMO": "true",
        "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": world.settings.salesforce_allowed_hosts,
        "RINGSYNC_ENV_FILE": "",
        "SSL_CERT_FILE": str(world.server.ca_path),
    }


@pytest.fixture(autouse=True)
def _forget_cli_log_handlers(restore_root_logger: None) -> None:
    """Drop log handlers a command installed on CliRunner's (soon closed) stderr."""
