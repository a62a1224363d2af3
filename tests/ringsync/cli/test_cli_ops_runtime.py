"""``ringsync worker`` and ``ringsync beat``: checks before start, then Celery's argv."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ringsync.commands import runtime as runtime_commands
from ringsync.store.migrate import upgrade


class RecordingCelery:
    """Stand in for Celery's start: remember argv and return a chosen exit code."""

    def __init__(self, code: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.code = code

    def __call__(self, argv: Sequence[str]) -> int:
        self.calls.append(list(argv))
        return self.code


@pytest.fixture
def celery(monkeypatch: pytest.MonkeyPatch) -> RecordingCelery:
    fake = RecordingCelery()
    monkeypatch.setattr(runtime_commands, "run_celery", fake)
    return fake


@pytest.fixture
def migrated(cli_env: dict[str, str]) -> None:
    Path(cli_env["RINGSYNC_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    upgrade(cli_env["RINGSYNC_DATABASE_URL"])


@pytest.mark.usefixtures("migrated")
def test_worker_hands_its_options_and_unknown_ones_to_celery(
    invoke: Any, celery: RecordingCelery
) -> None:
    result = invoke(
        "worker",
        "--lease-ttl",
        "30",
        "--visibility-timeout",
        "900",
        "--key-prefix",
        "blue:",
        "--restore-interval",
        "5",
        "--loglevel",
        "INFO",
    )
    assert result.exit_code == 0, result.output
    assert celery.calls == [
        [
            "worker",
            "--registry",
            "ringsync.runtime.wiring:create_worker_registry",
            "--queue",
            "ringsync",
            "--lease-ttl",
            "30",
            "--visibility-timeout",
            "900",
            "--key-prefix",
            "blue:",
            "--restore-interval",
            "5",
            "--pool=solo",
            "--loglevel",
            "INFO",
        ]
    ]
    assert "SQLite lets one process write at a time" in result.stderr


@pytest.mark.usefixtures("migrated")
def test_beat_passes_its_poll_interval_and_creates_the_data_folder(
    invoke: Any, celery: RecordingCelery, cli_env: dict[str, str]
) -> None:
    data_dir = Path(cli_env["RINGSYNC_DATA_DIR"]) / "beat"
    result = invoke("beat", "--poll-every", "15", env={"RINGSYNC_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    assert celery.calls == [
        [
            "beat",
            "--registry",
            "ringsync.runtime.wiring:create_worker_registry",
            "--queue",
            "ringsync",
            "--poll-every",
            "15",
        ]
    ]
    assert data_dir.is_dir()
    assert "SQLite" not in result.stderr


def test_the_default_registry_is_the_products() -> None:
    from ringsync.runtime.wiring import WORKER_REGISTRY

    assert runtime_commands.DEFAULT_REGISTRY == WORKER_REGISTRY


@pytest.mark.usefixtures("migrated")
def test_a_failing_celery_exit_code_is_passed_on(invoke: Any, celery: RecordingCelery) -> None:
    celery.code = 3
    assert invoke("worker").exit_code == 3


@pytest.mark.usefixtures("migrated")
def test_embedded_runner_setting_earns_a_note(invoke: Any, celery: RecordingCelery) -> None:
    result = invoke("worker", env={"RINGSYNC_RUNNER": "embedded"})
    assert result.exit_code == 0
    assert "RINGSYNC_RUNNER is not 'celery'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("worker", "--lease-ttl", "60", "--visibility-timeout", "60"),
            "--visibility-timeout (60s) must be longer than --lease-ttl (60s)",
        ),
        (("worker", "--lease-ttl", "0"), "--lease-ttl must be a positive number of seconds"),
        (("worker", "--restore-interval", "-1"), "--restore-interval must be a positive"),
        (("worker", "--registry", "no_colon"), "--registry must look like module:function"),
        (("worker", "--queue", " "), "--queue must not be empty"),
        (("beat", "--poll-every", "0"), "--poll-every must be a positive number of seconds"),
    ],
)
@pytest.mark.usefixtures("migrated")
def test_bad_options_stop_before_celery(
    invoke: Any, celery: RecordingCelery, args: tuple[str, ...], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert celery.calls == []


@pytest.mark.usefixtures("migrated")
def test_a_broker_that_is_not_redis_or_rabbitmq_is_refused(
    invoke: Any, celery: RecordingCelery
) -> None:
    result = invoke("worker", env={"RINGSYNC_BROKER_URL": "memory://"})
    assert result.exit_code == 2
    assert "RINGSYNC_BROKER_URL must be a Redis or RabbitMQ URL" in result.stderr
    assert celery.calls == []


def test_workers_refuse_a_database_behind_the_code(
    invoke: Any, celery: RecordingCelery, cli_env: dict[str, str]
) -> None:
    Path(cli_env["RINGSYNC_DATA_DIR"]).mkdir(parents=True)
    upgrade(cli_env["RINGSYNC_DATABASE_URL"], "0003_sync")
    result = invoke("worker")
    assert result.exit_code == 2
    assert "is behind" in result.stderr
    assert "run ringsync db upgrade before starting workers" in result.stderr
    assert celery.calls == []


def test_workers_refuse_a_missing_database(invoke: Any, celery: RecordingCelery) -> None:
    result = invoke("beat")
    assert result.exit_code == 2
    assert "there is no database at" in result.stderr
    assert celery.calls == []


@pytest.mark.usefixtures("migrated")
def test_a_registry_that_cannot_be_imported_is_one_clear_error(invoke: Any) -> None:
    result = invoke("worker", "--registry", "ringsync.no_such_module:create")
    assert result.exit_code == 2
    assert "Error: cannot load registry factory 'ringsync.no_such_module:create'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("migrated")
def test_a_missing_celery_install_is_one_clear_error(
    invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_celery(argv: Sequence[str]) -> int:
        raise ModuleNotFoundError("No module named 'celery'", name="celery")

    monkeypatch.setattr(runtime_commands, "run_celery", without_celery)
    result = invoke("worker")
    assert result.exit_code == 2
    assert "celery is not installed; workers need the scale extra" in result.stderr
