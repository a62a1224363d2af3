"""Back off accounts whose sync cannot start, and log each new error once.

An account that fails before any run is recorded (no usable connection, keys that cannot
decrypt it) has no inbound run to date its next poll from, so without this it would be due at
every poll tick and print the same warning each time. Each failure doubles the wait, from
``first`` up to the account's poll interval; a warning is due only when the error changes.
State is per process: a Celery worker pool backs off per worker process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_DOUBLINGS = 30


@dataclass(frozen=True)
class _Failing:
    error: str
    failures: int
    failed_at: datetime


class AccountBackoff:
    """Remember, per account and task, the error that kept a sync from starting."""

    def __init__(self, first: timedelta = timedelta(seconds=5)) -> None:
        """Wait ``first`` after the first failure, then twice as long after each next one."""
        if first <= timedelta(0):
            raise ValueError("the first back-off must be positive")
        self._first = first
        self._lock = threading.Lock()
        self._failing: dict[tuple[int, str], _Failing] = {}

    def failed(self, account_id: int, task: str, error: str, now: datetime) -> bool:
        """Record a failure at ``now``; return True when the error is new (log it then)."""
        key = (account_id, task)
        with self._lock:
            before = self._failing.get(key)
            failures = 1 if before is None else before.failures + 1
            self._failing[key] = _Failing(error, failures, now)
        return before is None or before.error != error

    def succeeded(self, account_id: int, task: str) -> bool:
        """Forget the failures; return True when there were some (log the recovery once)."""
        with self._lock:
            return self._failing.pop((account_id, task), None) is not None

    def delay(self, account_id: int, task: str, cap: timedelta) -> timedelta:
        """Return how long to wait after the last failure (zero when not failing), at most cap."""
        with self._lock:
            entry = self._failing.get((account_id, task))
        if entry is None:
            return timedelta(0)
        doublings = min(entry.failures - 1, MAX_DOUBLINGS)
        return min(self._first * (1 << doublings), cap)

    def waiting(self, account_id: int, task: str, now: datetime, cap: timedelta) -> bool:
        """Tell whether the task of this account is still backing off at ``now``."""
        with self._lock:
            entry = self._failing.get((account_id, task))
        if entry is None:
            return False
        return now < entry.failed_at + self.delay(account_id, task, cap)


__all__ = ["AccountBackoff"]
