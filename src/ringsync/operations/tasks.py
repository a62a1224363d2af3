"""The runtime's ``run_operation`` and ``sync_users`` task bodies.

A queue message only says "look": ``run_operation`` re-reads the operation row and drives it
only while it is queued or running (a duplicate message for a finished operation does nothing;
a failed one waits for the admin to resume it). Both tasks stop between batches when the
process shuts down, leaving the operation running with its cursor for the next worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ringsync.operations.handler import OperationEnv, OperationHandler
from ringsync.operations.model import OperationConflictError, OperationKind, OperationStatus
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.runtime.tasks import RUN_OPERATION, SYNC_USERS, TaskContext, TaskFunc

EnvFactory = Callable[[TaskContext, int], OperationEnv]
"""Build the operations' environment (store, Salesforce client, clock) for one account."""


def _int(kwargs: Mapping[str, Any], name: str) -> int:
    value = kwargs.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer")
    return value


def operation_tasks(
    build_env: EnvFactory,
    *,
    handlers: Mapping[OperationKind, OperationHandler] | None = None,
) -> dict[str, TaskFunc]:
    """Return the task bodies to register (``create_registry(handlers=...)``)."""

    def runner_for(ctx: TaskContext, account_id: int) -> OperationRunner:
        env = build_env(ctx, account_id)
        return create_runner(env, handlers=handlers, holder=f"job:{ctx.job_id}"[:200])

    def run_operation(ctx: TaskContext, /, **kwargs: Any) -> object:
        account_id, operation_id = _int(kwargs, "account_id"), _int(kwargs, "operation_id")
        runner = runner_for(ctx, account_id)
        current = runner.status(account_id, operation_id)
        if current.status not in (OperationStatus.QUEUED, OperationStatus.RUNNING):
            return current.as_dict()
        return runner.resume(account_id, operation_id, should_stop=ctx.should_stop).as_dict()

    def sync_users(ctx: TaskContext, /, **kwargs: Any) -> object:
        account_id = _int(kwargs, "account_id")
        runner = runner_for(ctx, account_id)
        try:
            queued = runner.start(account_id, OperationKind.SYNC_USERS)
        except OperationConflictError as exc:
            return {"skipped": exc.message}
        return runner.execute(account_id, queued.id, should_stop=ctx.should_stop).as_dict()

    return {RUN_OPERATION: run_operation, SYNC_USERS: sync_users}


__all__ = ["EnvFactory", "operation_tasks"]
