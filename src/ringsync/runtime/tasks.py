"""Tasks by name: what a runner may run, and the context every task receives.

A task is a plain callable ``func(ctx, **kwargs)`` whose keyword arguments are JSON values, so
the same task runs on a thread of the embedded runner or on a Celery worker. A task that takes
``account_id`` runs under that account's database lease; it should call ``ctx.should_stop()``
between batches, which also keeps the lease alive and tells it when the process is shutting
down or the lease was lost.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson

from ringsync.clock import Clock
from ringsync.errors import ConfigError
from ringsync.runtime.leases import Lease, LeaseLostError, LeaseRepository
from ringsync.settings import Settings
from ringsync.store.db import Database

SYNC_INBOUND = "sync_inbound"
SYNC_OUTBOUND = "sync_outbound"
RUN_OPERATION = "run_operation"
SYNC_USERS = "sync_users"
POLL_SCHEDULE = "poll_schedule"
STANDARD_TASKS: tuple[str, ...] = (
    SYNC_INBOUND,
    SYNC_OUTBOUND,
    RUN_OPERATION,
    SYNC_USERS,
    POLL_SCHEDULE,
)

DueAccounts = Callable[[datetime], list[int]]


class Submit(Protocol):
    """Queue a task by name with JSON keyword arguments; return its job id."""

    def __call__(self, task: str, /, **kwargs: Any) -> str:
        """Queue ``task``."""
        ...


class TaskFunc(Protocol):
    """A task body: receives the context and its JSON keyword arguments."""

    def __call__(self, ctx: TaskContext, /, **kwargs: Any) -> object:
        """Run the task."""
        ...


@dataclass
class TaskContext:
    """Everything a task may use; the engine builds its own objects from these."""

    task: str
    job_id: str
    settings: Settings
    database: Database
    clock: Clock
    stop_event: threading.Event
    submit: Submit
    leases: LeaseRepository | None = None
    lease: Lease | None = None
    lease_ttl: timedelta = timedelta(seconds=60)
    lease_lost: bool = field(default=False)

    def should_stop(self) -> bool:
        """Tell whether to stop before the next batch: shutdown requested or lease lost."""
        if self.stop_event.is_set():
            return True
        return not self._keep_lease()

    def heartbeat(self) -> None:
        """Renew the lease when half of it has run out; raise LeaseLostError if it was lost."""
        if not self._keep_lease():
            raise LeaseLostError(
                "the account lease was taken over; stop without writing",
                task=self.task,
                job_id=self.job_id,
            )

    def _keep_lease(self) -> bool:
        if self.lease is None or self.leases is None:
            return not self.lease_lost
        if self.lease_lost:
            return False
        if self.lease.remaining(self.clock.now()) > self.lease_ttl / 2:
            return True
        renewed = self.leases.renew(self.lease, self.lease_ttl)
        if renewed is None:
            self.lease_lost = True
            return False
        self.lease = renewed
        return True


class TaskRegistry:
    """Map task names to task bodies; a runner refuses names it does not know."""

    def __init__(self) -> None:
        """Start empty."""
        self._tasks: dict[str, TaskFunc] = {}

    def register(self, name: str, func: TaskFunc) -> None:
        """Bind ``name`` to ``func``, replacing an earlier binding."""
        if not name or not name.replace("_", "").isalnum():
            raise ValueError(f"task name {name!r} must be letters, digits and underscores")
        self._tasks[name] = func

    def get(self, name: str) -> TaskFunc:
        """Return the body of ``name`` or raise ConfigError listing the known names."""
        try:
            return self._tasks[name]
        except KeyError:
            known = ", ".join(sorted(self._tasks)) or "none"
            raise ConfigError(
                f"unknown task {name!r}; registered tasks: {known}", task=name
            ) from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        return sorted(self._tasks)

    def __contains__(self, name: object) -> bool:
        """Tell whether ``name`` is registered."""
        return name in self._tasks

    def __iter__(self) -> Iterator[str]:
        """Iterate over the registered names, sorted."""
        return iter(self.names())


def no_accounts_due(now: datetime) -> list[int]:
    """Report no account as due; the default until polling state is wired in."""
    del now
    return []


def poll_schedule_task(
    due_accounts: DueAccounts, outbox_due: DueAccounts | None = None
) -> TaskFunc:
    """Build the poll task: inbound for accounts due a poll, outbound for waiting outboxes.

    ``outbox_due`` names the accounts with pending outbox rows nobody has claimed. This sweep
    is what makes a queue message only a hint: a wake lost with the broker (Redis down or
    restarted empty), dropped as busy, or never sent because the web process could not reach
    the broker is made up for on the next tick.
    """

    def poll_schedule(ctx: TaskContext, /, **kwargs: Any) -> object:
        del kwargs
        submitted: list[str] = []
        now = ctx.clock.now()
        for account_id in due_accounts(now):
            if ctx.should_stop():
                return submitted
            submitted.append(ctx.submit(SYNC_INBOUND, account_id=account_id))
        for account_id in outbox_due(now) if outbox_due is not None else []:
            if ctx.should_stop():
                break
            submitted.append(ctx.submit(SYNC_OUTBOUND, account_id=account_id))
        return submitted

    return poll_schedule


def create_registry(
    handlers: Mapping[str, TaskFunc] | None = None,
    *,
    due_accounts: DueAccounts | None = None,
    outbox_due: DueAccounts | None = None,
) -> TaskRegistry:
    """Build a registry with ``poll_schedule`` and the given handlers (the engine's tasks)."""
    registry = TaskRegistry()
    registry.register(
        POLL_SCHEDULE, poll_schedule_task(due_accounts or no_accounts_due, outbox_due)
    )
    for name, func in (handlers or {}).items():
        registry.register(name, func)
    return registry


def account_of(kwargs: Mapping[str, Any]) -> int | None:
    """Return the account a task's arguments name, or None for an account-less task."""
    value = kwargs.get("account_id")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("account_id must be an integer", account_id=repr(value)[:40])
    return value


def check_json_kwargs(task: str, kwargs: Mapping[str, Any]) -> None:
    """Refuse arguments that would not survive a trip through a JSON queue message."""
    try:
        json.dumps(dict(kwargs), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"arguments of task {task!r} must be JSON values", task=task) from exc
    account_of(kwargs)


def idempotent_job_id(
    task: str, kwargs: Mapping[str, Any], now: datetime, bucket_seconds: float
) -> str:
    """Name a job by (task, account, time bucket, other arguments) so duplicates share an id."""
    if bucket_seconds <= 0:
        raise ValueError("bucket_seconds must be positive")
    account = account_of(kwargs)
    rest = {k: v for k, v in kwargs.items() if k != "account_id"}
    digest = hashlib.blake2b(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS), digest_size=4)
    bucket = int(now.timestamp() // bucket_seconds)
    scope = "all" if account is None else str(account)
    return f"{task}:{scope}:{bucket}:{digest.hexdigest()}"


__all__ = [
    "POLL_SCHEDULE",
    "RUN_OPERATION",
    "STANDARD_TASKS",
    "SYNC_INBOUND",
    "SYNC_OUTBOUND",
    "SYNC_USERS",
    "DueAccounts",
    "Submit",
    "TaskContext",
    "TaskFunc",
    "TaskRegistry",
    "account_of",
    "check_json_kwargs",
    "create_registry",
    "idempotent_job_id",
    "no_accounts_due",
    "poll_schedule_task",
]
