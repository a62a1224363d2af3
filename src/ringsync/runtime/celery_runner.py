"""CeleryRunner: the Runner protocol for code that sends work to Celery workers."""

from __future__ import annotations

import threading
import time
from typing import Any

from ringsync.clock import Clock, SystemClock
from ringsync.runtime.tasks import (
    SYNC_OUTBOUND,
    TaskRegistry,
    check_json_kwargs,
    idempotent_job_id,
)


def celery_task_name(task: str) -> str:
    """Return the Celery name of a registered task."""
    return f"ringsync.{task}"


class CeleryRunner:
    """Send tasks to Celery with ids that repeat inside a time bucket; workers do the rest."""

    def __init__(
        self,
        app: Any,
        *,
        registry: TaskRegistry,
        clock: Clock | None = None,
        bucket_seconds: float = 1.0,
        debounce_seconds: float = 0.5,
        wake_task: str = SYNC_OUTBOUND,
    ) -> None:
        """Send through ``app``; refuse task names ``registry`` does not know."""
        self._app = app
        self._registry = registry
        self._clock: Clock = clock or SystemClock()
        self._bucket = bucket_seconds
        self._debounce = debounce_seconds
        self._wake_task = wake_task
        self._sent: dict[str, float] = {}
        self._lock = threading.Lock()

    def submit(self, task: str, /, **kwargs: Any) -> str:
        """Send ``task`` now; a job with the same id sent moments ago is not sent again."""
        return self._send(task, kwargs, self._bucket, countdown=None)

    def wake(self, account_id: int) -> None:
        """Send the wake task to run after the debounce window; wakes inside it coalesce."""
        self._send(
            self._wake_task,
            {"account_id": account_id},
            max(self._debounce, 0.001),
            countdown=self._debounce,
        )

    def start(self) -> None:
        """Do nothing: workers are separate processes started by the operator."""

    def stop(self, timeout: float | None = None) -> bool:
        """Do nothing and report success: this process runs no tasks."""
        del timeout
        return True

    def _send(
        self, task: str, kwargs: dict[str, Any], bucket: float, countdown: float | None
    ) -> str:
        self._registry.get(task)
        check_json_kwargs(task, kwargs)
        job_id = idempotent_job_id(task, kwargs, self._clock.now(), bucket)
        if not self._first_send(job_id, bucket):
            return job_id
        self._app.send_task(
            celery_task_name(task), kwargs=kwargs, task_id=job_id, countdown=countdown
        )
        return job_id

    def _first_send(self, job_id: str, bucket: float) -> bool:
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, t in self._sent.items() if now - t > 2 * bucket]:
                del self._sent[stale]
            if job_id in self._sent:
                return False
            self._sent[job_id] = now
            return True


__all__ = ["CeleryRunner", "celery_task_name"]
