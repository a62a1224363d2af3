"""Run one job the same way on every runner: take the account lease, run, release.

Both runners are thin wrappers around ``JobExecutor.run``: the embedded runner calls it on a
thread, a Celery task calls it inside a worker. A job whose account lease is held elsewhere is
not run (``Outcome.BUSY``): the holder is already working on that account, and the work itself
is described by rows in the database, not by the job. A task that returns while shutdown is
under way ends ``STOPPED`` (the Celery runner puts its message back on the queue); one whose
lease was taken over ends ``LEASE_LOST`` (the new holder carries on).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

from ringsync.clock import Clock
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.tasks import Submit, TaskContext, TaskRegistry, account_of
from ringsync.settings import Settings
from ringsync.store.db import Database

logger = logging.getLogger(__name__)


class Outcome(Enum):
    """What became of one job."""

    DONE = "done"
    BUSY = "busy"
    STOPPED = "stopped"
    LEASE_LOST = "lease_lost"


@dataclass(frozen=True)
class Job:
    """One request to run a task: its name, JSON arguments and id."""

    task: str
    kwargs: dict[str, Any]
    job_id: str
    attempt: int = 0

    @property
    def account_id(self) -> int | None:
        """Return the account this job serializes on, if any."""
        return account_of(self.kwargs)


def process_holder_name() -> str:
    """Name this process as a lease holder: host and pid."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


@dataclass
class JobExecutor:
    """Run jobs from a registry under account leases."""

    settings: Settings
    database: Database
    registry: TaskRegistry
    clock: Clock
    submit: Submit
    stop_event: threading.Event = field(default_factory=threading.Event)
    lease_ttl: timedelta = timedelta(seconds=60)
    holder_prefix: str = field(default_factory=process_holder_name)

    def __post_init__(self) -> None:
        """Build the lease repository over the same database and clock."""
        self.leases = LeaseRepository(self.database, self.clock)

    def run(self, job: Job) -> Outcome:
        """Run ``job`` under its account lease; exceptions from the task propagate."""
        func = self.registry.get(job.task)
        account_id = job.account_id
        ctx = TaskContext(
            task=job.task,
            job_id=job.job_id,
            settings=self.settings,
            database=self.database,
            clock=self.clock,
            stop_event=self.stop_event,
            submit=self.submit,
            leases=self.leases,
            lease_ttl=self.lease_ttl,
        )
        if account_id is not None:
            holder = f"{self.holder_prefix}:{job.job_id}"[:200]
            ctx.lease = self.leases.acquire(account_lease_key(account_id), holder, self.lease_ttl)
            if ctx.lease is None:
                logger.info(
                    "job %s (%s) skipped: account %s is busy elsewhere",
                    job.job_id,
                    job.task,
                    account_id,
                )
                return Outcome.BUSY
        try:
            func(ctx, **job.kwargs)
        finally:
            if ctx.lease is not None and not ctx.lease_lost:
                self._release(ctx, job)
        if ctx.lease_lost:
            return Outcome.LEASE_LOST
        if self.stop_event.is_set():
            return Outcome.STOPPED
        return Outcome.DONE

    def _release(self, ctx: TaskContext, job: Job) -> None:
        assert ctx.lease is not None
        try:
            released = self.leases.release(ctx.lease)
        except Exception:
            # The lease expires on its own; never hide the task's own result or error.
            logger.exception("job %s (%s) could not release its lease", job.job_id, job.task)
            return
        if not released:
            logger.warning("job %s (%s) lost its lease before release", job.job_id, job.task)


__all__ = ["Job", "JobExecutor", "Outcome", "process_holder_name"]
