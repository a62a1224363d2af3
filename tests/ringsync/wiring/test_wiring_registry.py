"""The worker registry names every product task and opens nothing until a task runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringsync.runtime.tasks import STANDARD_TASKS
from ringsync.runtime.wiring import WORKER_REGISTRY, create_worker_registry
from ringsync.runtime.worker import load_registry


def test_the_worker_registry_serves_every_standard_task_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "not-yet.db"
    monkeypatch.setenv("RINGSYNC_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("RINGSYNC_ENV_FILE", raising=False)

    registry = create_worker_registry()

    assert registry.names() == sorted(STANDARD_TASKS)
    assert not database.exists()


def test_the_worker_entry_point_loads_it_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGSYNC_ENV_FILE", raising=False)

    assert load_registry(WORKER_REGISTRY).names() == sorted(STANDARD_TASKS)
