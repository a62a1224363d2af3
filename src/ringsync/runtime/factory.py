"""Pick the runner the settings ask for: embedded threads (default) or Celery workers."""

from __future__ import annotations

from ringsync.clock import Clock
from ringsync.errors import ConfigError
from ringsync.runtime.celery_runner import CeleryRunner
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import DueAccounts, TaskRegistry
from ringsync.settings import Settings
from ringsync.store.db import Database

RUNNERS = ("embedded", "celery")


def create_runner(
    settings: Settings,
    *,
    database: Database,
    registry: TaskRegistry,
    due_accounts: DueAccounts | None = None,
    outbox_due: DueAccounts | None = None,
    clock: Clock | None = None,
) -> Runner:
    """Build the runner named by ``settings.runner``; Celery is imported only when chosen.

    ``outbox_due`` is the embedded runner's outbox sweep (Celery workers get theirs from the
    beat's ``poll_schedule`` task).
    """
    if settings.runner == "embedded":
        return EmbeddedRunner(
            settings=settings,
            database=database,
            registry=registry,
            clock=clock,
            due_accounts=due_accounts,
            outbox_due=outbox_due,
        )
    if settings.runner == "celery":
        from ringsync.runtime.celery_app import create_celery_app

        app = create_celery_app(settings, registry=registry, database=database, clock=clock)
        runner: CeleryRunner = app.ringsync_runner
        return runner
    raise ConfigError(
        f"RINGSYNC_RUNNER must be one of {', '.join(RUNNERS)}, got {settings.runner!r}",
        setting="runner",
    )


__all__ = ["RUNNERS", "create_runner"]
