"""The runtime task bodies: drive queued operations, ignore duplicates, stop on shutdown."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ringsync.clock import FrozenClock
from ringsync.operations.handler import OperationEnv
from ringsync.operations.model import OperationKind
from ringsync.operations.runner import OperationRunner
from ringsync.operations.tasks import operation_tasks
from ringsync.runtime.tasks import RUN_OPERATION, SYNC_USERS, TaskContext
from ringsync.settings import load_settings
from ringsync.store.db import Database

AddUser = Callable[..., int]
AddSfUser = Callable[..., str]


def _context(database: Database, clock: FrozenClock, task: str) -> TaskContext:
    return TaskContext(
        task=task,
        job_id=f"{task}:test",
        settings=load_settings(),
        database=database,
        clock=clock,
        stop_event=threading.Event(),
        submit=lambda name, /, **kwargs: name,
    )


def _tasks(env: OperationEnv) -> dict[str, Any]:
    return operation_tasks(lambda _ctx, _account: env)


def test_run_operation_drives_a_queued_operation_once(
    env: OperationEnv,
    runner: OperationRunner,
    database: Database,
    clock: FrozenClock,
    account_id: int,
) -> None:
    queued = runner.start(account_id, OperationKind.PULL_LEAD_STATUSES)
    task = _tasks(env)[RUN_OPERATION]

    first = task(
        _context(database, clock, RUN_OPERATION), account_id=account_id, operation_id=queued.id
    )
    again = task(
        _context(database, clock, RUN_OPERATION), account_id=account_id, operation_id=queued.id
    )

    assert first["status"] == "succeeded"
    assert first["counts"] == {"created": 4}
    assert again == first  # a duplicate message changes nothing


def test_shutdown_leaves_the_operation_running_and_the_next_message_finishes_it(
    env: OperationEnv,
    runner: OperationRunner,
    database: Database,
    clock: FrozenClock,
    account_id: int,
    add_user: AddUser,
) -> None:
    for n in range(4):
        add_user(f"agent{n}@example.com")
    queued = runner.start(account_id, OperationKind.SYNC_USERS, {"batch_size": 2})
    task = _tasks(env)[RUN_OPERATION]
    stopping = _context(database, clock, RUN_OPERATION)
    stopping.stop_event.set()

    paused = task(stopping, account_id=account_id, operation_id=queued.id)
    finished = task(
        _context(database, clock, RUN_OPERATION), account_id=account_id, operation_id=queued.id
    )

    assert (paused["status"], paused["progress_done"]) == ("running", 2)
    assert finished["status"] == "succeeded"
    assert finished["counts"]["unmatched"] == 4


def test_sync_users_task_runs_the_sync_and_skips_when_one_is_active(
    env: OperationEnv,
    runner: OperationRunner,
    database: Database,
    clock: FrozenClock,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
) -> None:
    add_user("ana@example.com")
    add_sf_user("ana@example.com")
    task = _tasks(env)[SYNC_USERS]

    done = task(_context(database, clock, SYNC_USERS), account_id=account_id)
    runner.start(account_id, OperationKind.SYNC_USERS)
    skipped = task(_context(database, clock, SYNC_USERS), account_id=account_id)

    assert done["status"] == "succeeded"
    assert done["counts"]["mapped"] == 1
    assert "already queued" in skipped["skipped"]
