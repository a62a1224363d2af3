"""``ringsync worker`` and ``ringsync beat``: run Celery workers and the scheduler at scale.

Both check what would otherwise fail later and less clearly (the broker URL, the schema
revision, the timing options), set up masked logging, then hand over to
``ringsync.runtime.worker.main``. Celery is imported only here, when one of them runs, so the
rest of the command line works without the ``scale`` extra. Options this command does not know
are passed to Celery unchanged (for example ``--loglevel``, ``--hostname``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlsplit

import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.commands.db import SchemaState, schema_report
from ringsync.commands.exits import (
    check_url,
    database_failure,
    describe,
    fail,
    safe_url,
    settings_or_exit,
    sqlite_path,
)
from ringsync.errors import ConfigError
from ringsync.logs import configure_logging
from ringsync.settings import Settings
from ringsync.store.db import create_db_engine

# The product's registry (sync engine + operations); named, not imported, to keep start-up light.
DEFAULT_REGISTRY = "ringsync.runtime.wiring:create_worker_registry"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}

RegistryOption = Annotated[
    str,
    typer.Option(help="module:function returning the TaskRegistry to serve."),
]
KeyPrefixOption = Annotated[
    str | None,
    typer.Option(help="Prefix for every broker key (several deployments on one Redis)."),
]
QueueOption = Annotated[str, typer.Option(help="Queue to consume from / send to.")]


def run_celery(argv: Sequence[str]) -> int:
    """Run ``python -m ringsync.runtime.worker`` with ``argv`` in this process."""
    from ringsync.runtime.worker import main

    return main(list(argv))


def _check_broker(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in BROKER_SCHEMES:
        raise fail(
            f"RINGSYNC_BROKER_URL must be a Redis or RabbitMQ URL ({', '.join(BROKER_SCHEMES)}), "
            f"got scheme {scheme or 'none'!r}"
        )


def _check_schema(settings: Settings) -> bool:
    """Refuse a schema behind the code; return whether the store is SQLite."""
    url = check_url(settings.database_url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"there is no database at {path} yet (run: ringsync db upgrade)")
    engine = create_db_engine(url)
    try:
        report = schema_report(engine, safe_url(url))
    except SQLAlchemyError as exc:
        raise database_failure(url, exc) from None
    finally:
        engine.dispose()
    if report.state in (SchemaState.EMPTY, SchemaState.BEHIND):
        raise fail(
            f"the database {report.database} is {report.state.value} "
            f"({', '.join(report.current) or 'no revision'}; this code needs "
            f"{', '.join(report.heads)}): run ringsync db upgrade before starting workers"
        )
    if report.state is SchemaState.AHEAD:
        typer.echo(
            "Warning: the database is newer than this code; replace this worker with the "
            "upgraded version soon.",
            err=True,
        )
    return path is not None


def _check_registry(spec: str) -> None:
    module, _, function = spec.partition(":")
    if not module or not function:
        raise fail(f"--registry must look like module:function, got {spec!r}")


def _prepare(*, writes: bool) -> Settings:
    settings = settings_or_exit()
    if settings.runner != "celery":
        typer.echo(
            "Note: RINGSYNC_RUNNER is not 'celery', so web processes run tasks themselves; "
            "set RINGSYNC_RUNNER=celery where the web app runs to hand tasks to workers.",
            err=True,
        )
    _check_broker(settings.broker_url)
    if _check_schema(settings) and writes:
        typer.echo(
            "Warning: SQLite lets one process write at a time; use Postgres for more than "
            "one worker.",
            err=True,
        )
    configure_logging(settings.log_level)
    return settings


def _start(argv: list[str]) -> None:
    try:
        code = run_celery(argv)
    except ModuleNotFoundError as exc:
        if exc.name not in ("celery", "kombu", "redis"):
            raise
        raise fail(
            f"{exc.name} is not installed; workers need the scale extra: "
            "pip install 'ringsync[scale]'"
        ) from None
    except ConfigError as exc:
        raise fail(describe(exc)) from None
    if code:
        raise typer.Exit(code=code)


def _positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise fail(f"{name} must be a positive number of seconds, got {value:g}")


def worker(
    ctx: typer.Context,
    registry: RegistryOption = DEFAULT_REGISTRY,
    key_prefix: KeyPrefixOption = None,
    queue: QueueOption = "ringsync",
    lease_ttl: Annotated[
        float, typer.Option(help="Seconds an account lease lasts unless renewed.")
    ] = 60.0,
    visibility_timeout: Annotated[
        float,
        typer.Option(help="Seconds before an unacknowledged message is redelivered (Redis)."),
    ] = 3600.0,
    restore_interval: Annotated[
        float | None,
        typer.Option(help="Seconds between checks for unacknowledged messages to restore."),
    ] = None,
    pool: Annotated[str, typer.Option(help="Celery pool; solo runs one task at a time.")] = "solo",
) -> None:
    """Run a Celery worker that executes sync tasks (one per process with the solo pool)."""
    _check_registry(registry)
    _positive("--lease-ttl", lease_ttl)
    _positive("--visibility-timeout", visibility_timeout)
    _positive("--restore-interval", restore_interval)
    if visibility_timeout <= lease_ttl:
        raise fail(
            f"--visibility-timeout ({visibility_timeout:g}s) must be longer than --lease-ttl "
            f"({lease_ttl:g}s) and than the longest task"
        )
    if not queue.strip():
        raise fail("--queue must not be empty")
    _prepare(writes=True)
    argv = ["worker", "--registry", registry, "--queue", queue]
    argv += ["--lease-ttl", f"{lease_ttl:g}", "--visibility-timeout", f"{visibility_timeout:g}"]
    if key_prefix:
        argv += ["--key-prefix", key_prefix]
    if restore_interval is not None:
        argv += ["--restore-interval", f"{restore_interval:g}"]
    argv += [f"--pool={pool}", *ctx.args]
    _start(argv)


def beat(
    ctx: typer.Context,
    registry: RegistryOption = DEFAULT_REGISTRY,
    key_prefix: KeyPrefixOption = None,
    queue: QueueOption = "ringsync",
    poll_every: Annotated[
        float, typer.Option(help="Seconds between scheduled polls of Salesforce.")
    ] = 30.0,
) -> None:
    """Run the scheduler that wakes workers to poll Salesforce (run exactly one)."""
    _check_registry(registry)
    _positive("--poll-every", poll_every)
    if not queue.strip():
        raise fail("--queue must not be empty")
    settings = _prepare(writes=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    argv = ["beat", "--registry", registry, "--queue", queue, "--poll-every", f"{poll_every:g}"]
    if key_prefix:
        argv += ["--key-prefix", key_prefix]
    _start([*argv, *ctx.args])


__all__ = ["DEFAULT_REGISTRY", "PASS_THROUGH", "beat", "run_celery", "worker"]
