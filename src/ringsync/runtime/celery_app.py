"""The Celery runner: the same tasks on worker processes, for Postgres and Redis at scale.

``create_celery_app(settings)`` builds a configured app with one Celery task per registered
task name (``ringsync.<name>``). Delivery is at least once: ``acks_late`` and
``reject_on_worker_lost`` put a task back on the queue when its worker dies, and the Redis
``visibility_timeout`` redelivers a message nobody acknowledged. Duplicates are harmless by
design: each task takes the account lease in the database first and exits quietly when the
lease is held elsewhere (the holder is already working on the account, whose work is
described by database rows), and job ids are derived from (task, account, time bucket) so
repeated submissions inside one bucket collapse into one message. On a warm shutdown (SIGTERM)
the running task sees ``ctx.should_stop()``, returns between batches, releases its lease, and
its message is rejected with requeue so another worker continues the work.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.exceptions import Reject
from celery.signals import worker_shutting_down

from ringsync.clock import Clock, SystemClock
from ringsync.errors import TransientError
from ringsync.runtime.celery_runner import CeleryRunner, celery_task_name
from ringsync.runtime.execution import Job, JobExecutor, Outcome
from ringsync.runtime.tasks import POLL_SCHEDULE, DueAccounts, TaskRegistry, create_registry
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "ringsync"
TRANSIENT_RETRIES = 5


class _WorkerState:
    """What a worker process opens lazily: the database and the executor."""

    def __init__(
        self,
        settings: Settings,
        registry: TaskRegistry,
        clock: Clock,
        runner: CeleryRunner,
        lease_ttl: timedelta,
        database: Database | None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.clock = clock
        self.runner = runner
        self.lease_ttl = lease_ttl
        self.stop_event = threading.Event()
        self._database = database
        self._executor: JobExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> JobExecutor:
        with self._lock:
            if self._executor is None:
                database = self._database or open_database(
                    self.settings.database_url, migrate=False
                )
                self._executor = JobExecutor(
                    settings=self.settings,
                    database=database,
                    registry=self.registry,
                    clock=self.clock,
                    submit=self.runner.submit,
                    stop_event=self.stop_event,
                    lease_ttl=self.lease_ttl,
                )
            return self._executor


def _define_task(app: Any, state: _WorkerState, name: str) -> None:
    def run(task: Any, **kwargs: Any) -> None:
        job = Job(task=name, kwargs=kwargs, job_id=str(task.request.id))
        try:
            outcome = state.executor().run(job)
        except TransientError as exc:
            countdown = min(2 ** int(task.request.retries), 60)
            raise task.retry(exc=exc, countdown=countdown, max_retries=TRANSIENT_RETRIES) from exc
        if outcome is Outcome.BUSY:
            logger.info("task %s job %s exits: account busy elsewhere", name, job.job_id)
        elif outcome is Outcome.STOPPED:
            logger.info("task %s job %s stopped by shutdown; message requeued", name, job.job_id)
            raise Reject("worker shutting down", requeue=True)
        elif outcome is Outcome.LEASE_LOST:
            logger.warning("task %s job %s lost its lease; its holder continues", name, job.job_id)

    app.task(
        name=celery_task_name(name),
        shared=False,  # a shared task would be added to every app in the process
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
    )(run)


def create_celery_app(
    settings: Settings,
    *,
    registry: TaskRegistry | None = None,
    due_accounts: DueAccounts | None = None,
    database: Database | None = None,
    clock: Clock | None = None,
    queue: str = DEFAULT_QUEUE,
    key_prefix: str | None = None,
    poll_every_seconds: float = 30.0,
    lease_ttl_seconds: float = 60.0,
    visibility_timeout_seconds: float = 3600.0,
    restore_interval_seconds: float | None = None,
    bucket_seconds: float = 1.0,
) -> Any:
    """Build a Celery app whose tasks run the registry's tasks under account leases.

    ``visibility_timeout_seconds`` must exceed the longest task: a message unacknowledged for
    longer is handed to another worker (harmless, the lease refuses it, but wasted).
    ``key_prefix`` isolates this app's Redis keys (tests, or several deployments on one Redis).
    """
    registry = registry or create_registry(due_accounts=due_accounts)
    clock = clock or SystemClock()
    app = Celery("ringsync", set_as_current=False)
    transport: dict[str, Any] = {"visibility_timeout": visibility_timeout_seconds}
    if key_prefix:
        transport["global_keyprefix"] = key_prefix
    if restore_interval_seconds is not None:
        transport["unacked_restore_interval"] = restore_interval_seconds
        transport["unacked_restore_throttle"] = 1
    app.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_default_queue=queue,
        enable_utc=True,
        timezone="UTC",
        worker_hijack_root_logger=False,
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        beat_schedule={
            "ringsync-poll-schedule": {
                "task": celery_task_name(POLL_SCHEDULE),
                "schedule": poll_every_seconds,
                "options": {"queue": queue, "expires": poll_every_seconds},
            }
        },
    )
    runner = CeleryRunner(app, registry=registry, clock=clock, bucket_seconds=bucket_seconds)
    state = _WorkerState(
        settings, registry, clock, runner, timedelta(seconds=lease_ttl_seconds), database
    )
    for name in registry.names():
        _define_task(app, state, name)

    def on_shutting_down(**_kwargs: Any) -> None:
        state.stop_event.set()

    worker_shutting_down.connect(on_shutting_down, weak=False, dispatch_uid=f"ringsync-{id(app)}")
    app.ringsync_stop_event = state.stop_event
    app.ringsync_runner = runner
    return app


__all__ = ["DEFAULT_QUEUE", "create_celery_app"]
