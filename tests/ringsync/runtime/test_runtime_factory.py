"""create_runner picks the runner the settings name and refuses unknown ones clearly."""

from __future__ import annotations

import pytest

from ringsync.errors import ConfigError
from ringsync.runtime.celery_runner import CeleryRunner
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.factory import create_runner
from ringsync.runtime.tasks import create_registry
from ringsync.runtime.worker import build_parser, load_registry
from ringsync.settings import Settings
from ringsync.store.db import Database


def test_embedded_is_the_default(sqlite_db: Database) -> None:
    runner = create_runner(Settings(), database=sqlite_db, registry=create_registry())
    assert isinstance(runner, EmbeddedRunner)
    runner.start()
    assert runner.stop(timeout=5) is True


def test_celery_is_chosen_by_configuration(sqlite_db: Database) -> None:
    settings = Settings(runner="celery", broker_url="redis://127.0.0.1:6379/9")
    runner = create_runner(settings, database=sqlite_db, registry=create_registry())
    assert isinstance(runner, CeleryRunner)


def test_an_unknown_runner_is_a_config_error(sqlite_db: Database) -> None:
    with pytest.raises(ConfigError, match="RINGSYNC_RUNNER must be one of embedded, celery"):
        create_runner(Settings(runner="cron"), database=sqlite_db, registry=create_registry())


def test_the_worker_entry_loads_the_standard_registry_by_default() -> None:
    options, rest = build_parser().parse_known_args(["worker", "--pool=solo"])
    assert rest == ["--pool=solo"]
    assert load_registry(options.registry).names() == ["poll_schedule"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "--registry must look like module:function"),
        ("ringsync.nowhere:build", "cannot load registry factory 'ringsync.nowhere:build'"),
        ("ringsync.runtime.tasks:missing", "cannot load registry factory"),
        ("ringsync.runtime.worker:build_parser", "returned ArgumentParser, not a TaskRegistry"),
    ],
)
def test_a_bad_registry_spec_is_a_clear_config_error(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_registry(spec)
    assert message in str(raised.value)
