"""Tasks that Celery worker processes load in the runtime tests (not a test module).

``sync_inbound`` here is a stand-in for the engine: it applies ``steps`` idempotent effects to
its account, each in its own transaction fenced by the account lease, and journals every run
(account, job id, worker pid, start, end) and every effect actually applied.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import text

from ringsync.runtime.leases import assert_current
from ringsync.runtime.tasks import TaskContext, TaskRegistry, create_registry

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rt_runs (
        id SERIAL PRIMARY KEY, account_id INTEGER NOT NULL, job_id TEXT NOT NULL,
        pid INTEGER NOT NULL, started DOUBLE PRECISION NOT NULL, ended DOUBLE PRECISION,
        finished BOOLEAN NOT NULL DEFAULT FALSE)""",
    """CREATE TABLE IF NOT EXISTS rt_effects (
        account_id INTEGER NOT NULL, step INTEGER NOT NULL, pid INTEGER NOT NULL,
        PRIMARY KEY (account_id, step))""",
    """CREATE TABLE IF NOT EXISTS rt_applied (
        account_id INTEGER NOT NULL, step INTEGER NOT NULL, pid INTEGER NOT NULL)""",
)


def apply_steps(
    ctx: TaskContext, /, *, account_id: int, steps: int = 1, step_seconds: float = 0.0, **_: Any
) -> object:
    """Apply each missing step once, journal the run, stop early when asked."""
    pid = os.getpid()
    started = time.time()
    with ctx.database.write() as session:
        run_id = session.execute(
            text(
                "INSERT INTO rt_runs (account_id, job_id, pid, started) "
                "VALUES (:a, :j, :p, :s) RETURNING id"
            ),
            {"a": account_id, "j": ctx.job_id, "p": pid, "s": started},
        ).scalar_one()
    for step in range(steps):
        if ctx.should_stop():
            return None
        with ctx.database.write() as session:
            assert ctx.lease is not None
            assert_current(session, ctx.lease)
            inserted = session.execute(
                text(
                    "INSERT INTO rt_effects (account_id, step, pid) VALUES (:a, :s, :p) "
                    "ON CONFLICT DO NOTHING RETURNING step"
                ),
                {"a": account_id, "s": step, "p": pid},
            ).first()
            if inserted is not None:
                session.execute(
                    text("INSERT INTO rt_applied (account_id, step, pid) VALUES (:a, :s, :p)"),
                    {"a": account_id, "s": step, "p": pid},
                )
        time.sleep(step_seconds)
    with ctx.database.write() as session:
        session.execute(
            text("UPDATE rt_runs SET ended = :e, finished = TRUE WHERE id = :i"),
            {"e": time.time(), "i": run_id},
        )
    return None


def build_registry() -> TaskRegistry:
    """Serve the stand-in task under the standard name."""
    return create_registry({"sync_inbound": apply_steps})


POLLED_ACCOUNTS = [700, 701]


def build_polling_registry() -> TaskRegistry:
    """Serve the stand-in task and a poll schedule that finds two accounts due."""
    return create_registry(
        {"sync_inbound": apply_steps}, due_accounts=lambda now: list(POLLED_ACCOUNTS)
    )
