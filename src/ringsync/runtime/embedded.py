"""The embedded runner: a few threads and a timer inside the web process (the default).

Jobs are queued per serialization key (the account, or the job itself when it names no
account) so one process never runs two jobs of an account at once; the database lease keeps
other processes out too. A job whose lease is held elsewhere is retried after a short delay.
Identical jobs that wait for the same account coalesce into one, and ``wake()`` debounces: the
first wake of an account schedules one run after the debounce window and later wakes inside
that window add nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from datetime import timedelta
from typing import Any

from ringsync.clock import Clock, SystemClock
from ringsync.runtime.execution import Job, JobExecutor, Outcome
from ringsync.runtime.runner import RunnerStoppedError
from ringsync.runtime.tasks import (
    SYNC_INBOUND,
    SYNC_OUTBOUND,
    DueAccounts,
    TaskRegistry,
    check_json_kwargs,
)
from ringsync.runtime.timer import Timer
from ringsync.settings import Settings
from ringsync.store.db import Database

logger = logging.getLogger(__name__)


class EmbeddedRunner:
    """Run tasks on a small thread pool with a timer for debounce, retries and polling."""

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        registry: TaskRegistry,
        clock: Clock | None = None,
        due_accounts: DueAccounts | None = None,
        outbox_due: DueAccounts | None = None,
        workers: int = 2,
        debounce_seconds: float = 0.5,
        poll_every_seconds: float = 5.0,
        lease_ttl_seconds: float = 60.0,
        busy_retry_seconds: float = 1.0,
        busy_attempts: int = 30,
        wake_task: str = SYNC_OUTBOUND,
    ) -> None:
        """Configure the runner; threads start in ``start()``."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._registry = registry
        self._due_accounts = due_accounts
        self._outbox_due = outbox_due
        self._clock: Clock = clock or SystemClock()
        self._workers = workers
        self._debounce = debounce_seconds
        self._poll_every = poll_every_seconds
        self._busy_retry = busy_retry_seconds
        self._busy_attempts = busy_attempts
        self._wake_task = wake_task
        self._stop_event = threading.Event()
        self._executor = JobExecutor(
            settings=settings,
            database=database,
            registry=registry,
            clock=self._clock,
            submit=self.submit,
            stop_event=self._stop_event,
            lease_ttl=timedelta(seconds=lease_ttl_seconds),
        )
        self._timer = Timer("ringsync-embedded-timer")
        self._ready: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._pending: dict[str, deque[Job]] = {}
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._started = False
        self._stopping = False

    @property
    def stop_event(self) -> threading.Event:
        """Return the event tasks see through ``ctx.should_stop()``."""
        return self._stop_event

    def start(self) -> None:
        """Start the worker threads, the timer and, if configured, polling."""
        with self._lock:
            if self._stopping:
                raise RunnerStoppedError("the embedded runner was stopped; create a new one")
            if self._started:
                return
            self._started = True
            for index in range(self._workers):
                thread = threading.Thread(
                    target=self._work, name=f"ringsync-embedded-{index}", daemon=True
                )
                self._threads.append(thread)
        for thread in self._threads:
            thread.start()
        self._timer.start()
        if self._due_accounts is not None:
            self._timer.schedule(0.0, self._poll)

    def idle(self) -> bool:
        """Tell whether nothing runs, waits, or is scheduled (polling aside)."""
        with self._lock:
            busy = bool(self._active) or any(self._pending.values())
        return not busy and self._timer.pending() <= (1 if self._due_accounts else 0)

    def submit(self, task: str, /, **kwargs: Any) -> str:
        """Queue ``task``; an identical job already waiting for the account absorbs it."""
        self._registry.get(task)
        check_json_kwargs(task, kwargs)
        return self._enqueue(Job(task=task, kwargs=dict(kwargs), job_id=str(uuid.uuid4())))

    def wake(self, account_id: int) -> None:
        """Run the wake task for ``account_id`` once the debounce window has passed."""
        if self._stopping:
            raise RunnerStoppedError("the embedded runner is stopping; wake refused")
        self._timer.schedule(
            self._debounce,
            lambda: self._submit_quietly(self._wake_task, account_id),
            key=("wake", account_id),
        )

    def stop(self, timeout: float | None = None) -> bool:
        """Refuse new work, signal running tasks, drop what waits, and join the threads."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._stopping = True
            dropped = sum(len(jobs) for jobs in self._pending.values())
            for jobs in self._pending.values():
                jobs.clear()
        self._stop_event.set()
        if dropped:
            logger.info("embedded runner stopping: %d waiting jobs dropped", dropped)
        ended = self._timer.stop(_remaining(deadline))
        for _ in self._threads:
            self._ready.put(None)
        for thread in self._threads:
            thread.join(_remaining(deadline))
            ended = ended and not thread.is_alive()
        return ended

    def _submit_quietly(self, task: str, account_id: int) -> None:
        try:
            self.submit(task, account_id=account_id)
        except RunnerStoppedError:
            logger.debug("%s for account %s not queued: runner stopping", task, account_id)

    def _enqueue(self, job: Job) -> str:
        key = f"account:{job.account_id}" if job.account_id is not None else f"job:{job.job_id}"
        with self._lock:
            if self._stopping:
                raise RunnerStoppedError(f"the embedded runner is stopping; {job.task} refused")
            jobs = self._pending.setdefault(key, deque())
            for waiting in jobs:
                if waiting.task == job.task and waiting.kwargs == job.kwargs:
                    return waiting.job_id
            jobs.append(job)
            if key in self._active:
                return job.job_id
            self._active.add(key)
        self._ready.put(key)
        return job.job_id

    def _work(self) -> None:
        while True:
            key = self._ready.get()
            if key is None:
                return
            self._drain(key)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                jobs = self._pending.get(key)
                if self._stopping or not jobs:
                    self._active.discard(key)
                    if not jobs:
                        self._pending.pop(key, None)
                    return
                job = jobs.popleft()
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            outcome = self._executor.run(job)
        except Exception:
            logger.exception("task %s (job %s) failed", job.task, job.job_id)
            return
        if outcome is Outcome.BUSY:
            self._retry_later(job)

    def _retry_later(self, job: Job) -> None:
        if job.attempt + 1 >= self._busy_attempts:
            logger.warning(
                "task %s (job %s) gave up after %d tries: account %s stayed busy",
                job.task,
                job.job_id,
                job.attempt + 1,
                job.account_id,
            )
            return
        retry = Job(job.task, job.kwargs, job.job_id, job.attempt + 1)

        def requeue() -> None:
            try:
                self._enqueue(retry)
            except RunnerStoppedError:
                logger.debug("retry of job %s dropped: runner stopping", job.job_id)

        self._timer.schedule(self._busy_retry, requeue)

    def _poll(self) -> None:
        if self._due_accounts is None or self._stopping:
            return
        try:
            now = self._clock.now()
            for account_id in self._due_accounts(now):
                self._submit_quietly(SYNC_INBOUND, account_id)
            # The sweep: changes whose wake-up was lost or dropped as busy are sent anyway.
            for account_id in self._outbox_due(now) if self._outbox_due is not None else []:
                self._submit_quietly(SYNC_OUTBOUND, account_id)
        except Exception:
            logger.exception("poll schedule failed; next try in %.0f s", self._poll_every)
        finally:
            self._timer.schedule(self._poll_every, self._poll)


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.0)


__all__ = ["EmbeddedRunner"]
