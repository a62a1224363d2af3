"""Sliding-window attempt counters that slow down password guessing (ASVS 2.4.1).

Counters live in the web process's memory: with several web processes each one counts on its
own, so the effective limit is the per-process limit times the number of processes.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ringsync.clock import Clock

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` within ``window``."""

    attempts: int
    window: timedelta


class SlidingWindowLimiter:
    """Count attempts per key over a sliding window and tell when a key must wait."""

    def __init__(self, limit: Limit, clock: Clock) -> None:
        """Start with no attempts recorded."""
        self._limit = limit
        self._clock = clock
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: datetime) -> deque[datetime]:
        hits = self._hits.setdefault(key, deque())
        horizon = now - self._limit.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int:
        """Return 0 if ``key`` may try now, else the whole seconds until it may."""
        now = self._clock.now()
        with self._lock:
            hits = self._trim(key, now)
            if len(hits) < self._limit.attempts:
                return 0
            wait = (hits[0] + self._limit.window - now).total_seconds()
            return max(1, math.ceil(wait))

    def hit(self, key: str) -> None:
        """Record one attempt for ``key``."""
        now = self._clock.now()
        with self._lock:
            if len(self._hits) >= MAX_KEYS:
                self._forget_idle(now)
            self._trim(key, now).append(now)

    def reset(self, key: str) -> None:
        """Forget ``key``'s attempts (after a successful sign-in)."""
        with self._lock:
            self._hits.pop(key, None)

    def _forget_idle(self, now: datetime) -> None:
        for key in list(self._hits):
            if not self._trim(key, now):
                del self._hits[key]


class LoginLimiter:
    """Limit failed sign-ins per (client address, email) and, more loosely, per address."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_email: Limit | None = None,
        per_address: Limit | None = None,
    ) -> None:
        """Default: 5 failures per address and email, 50 per address, in 15 minutes."""
        window = timedelta(minutes=15)
        self._by_email = SlidingWindowLimiter(per_email or Limit(5, window), clock)
        self._by_address = SlidingWindowLimiter(per_address or Limit(50, window), clock)

    @staticmethod
    def _email_key(address: str, email: str) -> str:
        return f"{address}|{email.strip().lower()}"

    def retry_after(self, address: str, email: str) -> int:
        """Return 0 if a sign-in may be tried now, else the seconds to wait."""
        return max(
            self._by_email.retry_after(self._email_key(address, email)),
            self._by_address.retry_after(address),
        )

    def failed(self, address: str, email: str) -> None:
        """Count one failed sign-in."""
        self._by_email.hit(self._email_key(address, email))
        self._by_address.hit(address)

    def succeeded(self, address: str, email: str) -> None:
        """Clear the failures of this address and email."""
        self._by_email.reset(self._email_key(address, email))


__all__ = ["Limit", "LoginLimiter", "SlidingWindowLimiter"]
