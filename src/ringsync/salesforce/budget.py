"""The API budget: how much of the org's daily allocation ringsync may spend, and when to pause.

Salesforce reports only the org's total usage (``Sforce-Limit-Info: api-usage=N/M``), not
ours, so ringsync counts its own calls in a rolling 24-hour window of one-minute buckets.
Background work pauses when either our calls reach ``share`` of the org's daily maximum, or
the org as a whole nears its maximum, or Salesforce answered REQUEST_LIMIT_EXCEEDED; it
resumes on its own as the window slides or once a recheck time has passed.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ringsync.clock import Clock

WINDOW = timedelta(hours=24)
BUCKET = timedelta(minutes=1)

_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")
_PER_APP = re.compile(r"per-app-api-usage=(\d+)/(\d+)(?:\(appName=([^)]*)\))?")


@dataclass(frozen=True)
class LimitInfo:
    """Parsed ``Sforce-Limit-Info``: the org's usage and, when present, the app's."""

    used: int
    max: int
    app_used: int | None = None
    app_max: int | None = None
    app_name: str | None = None


def parse_limit_info(value: str | None) -> LimitInfo | None:
    """Parse a ``Sforce-Limit-Info`` header; return None when it carries no api-usage."""
    if not value:
        return None
    usage = _USAGE.search(value)
    if usage is None:
        return None
    info = LimitInfo(used=int(usage.group(1)), max=int(usage.group(2)))
    per_app = _PER_APP.search(value)
    if per_app is not None:
        info = LimitInfo(
            used=info.used,
            max=info.max,
            app_used=int(per_app.group(1)),
            app_max=int(per_app.group(2)),
            app_name=per_app.group(3),
        )
    return info


class UsageStore(Protocol):
    """Keep our per-minute call counters across restarts (the store implements it later)."""

    def load(self) -> list[tuple[datetime, int]]:
        """Return saved (bucket start, calls) pairs, oldest first."""
        ...

    def save(self, buckets: list[tuple[datetime, int]]) -> None:
        """Replace the saved counters with ``buckets``."""
        ...


class MemoryUsageStore:
    """Keep counters in memory (tests, the demo)."""

    def __init__(self) -> None:
        """Start empty."""
        self.buckets: list[tuple[datetime, int]] = []

    def load(self) -> list[tuple[datetime, int]]:
        """Return the saved counters."""
        return list(self.buckets)

    def save(self, buckets: list[tuple[datetime, int]]) -> None:
        """Replace the saved counters."""
        self.buckets = list(buckets)


@dataclass(slots=True)
class _Bucket:
    """Our calls within one minute."""

    start: datetime
    calls: int


@dataclass(frozen=True)
class BudgetSnapshot:
    """The budget as the rest of the system sees it (admin page, runner, logs)."""

    org_used: int | None
    org_max: int | None
    our_calls: int
    share: float
    our_limit: int | None
    paused: bool
    reason: str | None
    resume_at: datetime | None
    app_used: int | None = None
    app_max: int | None = None


class ApiBudget:
    """Count ringsync's calls and the org's usage; tell background work when to pause."""

    def __init__(
        self,
        clock: Clock,
        *,
        share: float = 0.25,
        org_ceiling: float = 0.95,
        recheck_after: timedelta = timedelta(minutes=15),
        store: UsageStore | None = None,
    ) -> None:
        """Start from the saved counters; ``share`` of the org's max is ours to spend."""
        if not 0 < share <= 1 or not 0 < org_ceiling <= 1:
            raise ValueError("share and org_ceiling must be in (0, 1]")
        self._clock = clock
        self._share = share
        self._org_ceiling = org_ceiling
        self._recheck_after = recheck_after
        self._store = store
        self._lock = threading.Lock()
        self._buckets: deque[_Bucket] = deque()
        self._our_calls = 0
        self._info: LimitInfo | None = None
        self._info_at: datetime | None = None
        self._refused_until: datetime | None = None
        if store is not None:
            for start, calls in store.load():
                self._buckets.append(_Bucket(start, calls))
                self._our_calls += calls

    # --- recording -----------------------------------------------------------------------
    def record_call(self) -> None:
        """Count one call ringsync sent to Salesforce."""
        now = self._clock.now()
        start = _bucket_start(now)
        with self._lock:
            self._expire(now)
            if self._buckets and self._buckets[-1].start == start:
                self._buckets[-1].calls += 1
            else:
                self._buckets.append(_Bucket(start, 1))
            self._our_calls += 1

    def observe(self, header_value: str | None) -> LimitInfo | None:
        """Remember the org's usage from a ``Sforce-Limit-Info`` header value."""
        info = parse_limit_info(header_value)
        if info is None:
            return None
        with self._lock:
            self._info = info
            self._info_at = self._clock.now()
            if info.used < info.max:
                self._refused_until = None
        return info

    def note_limit_exceeded(self) -> None:
        """Remember that Salesforce refused a call with REQUEST_LIMIT_EXCEEDED."""
        with self._lock:
            self._refused_until = self._clock.now() + self._recheck_after

    def save(self) -> None:
        """Write the counters to the store, if one was given."""
        if self._store is None:
            return
        with self._lock:
            self._expire(self._clock.now())
            buckets = [(b.start, b.calls) for b in self._buckets]
        self._store.save(buckets)

    # --- reading -------------------------------------------------------------------------
    def should_pause_background(self) -> bool:
        """Tell whether background (automatic) work should wait; manual work may still run."""
        return self.snapshot().paused

    def snapshot(self) -> BudgetSnapshot:
        """Return the current budget state."""
        now = self._clock.now()
        with self._lock:
            self._expire(now)
            info = self._info
            our_limit = int(info.max * self._share) if info else None
            reason: str | None = None
            resume_at: datetime | None = None
            if self._refused_until is not None and now < self._refused_until:
                reason = "Salesforce refused calls: the org's daily API limit is used up"
                resume_at = self._refused_until
            elif info is not None and our_limit is not None and self._our_calls >= our_limit:
                reason = f"ringsync used its share ({self._share:.0%}) of the daily API limit"
                resume_at = self._resume_when_ours_below(our_limit)
            elif info is not None and info.used >= info.max * self._org_ceiling:
                reason = "the org is close to its daily API limit"
                seen = self._info_at or now
                resume_at = max(now, seen + self._recheck_after)
                if now >= seen + self._recheck_after:
                    # Stale reading: let one call through to learn the current usage.
                    reason, resume_at = None, None
            return BudgetSnapshot(
                org_used=info.used if info else None,
                org_max=info.max if info else None,
                our_calls=self._our_calls,
                share=self._share,
                our_limit=our_limit,
                paused=reason is not None,
                reason=reason,
                resume_at=resume_at,
                app_used=info.app_used if info else None,
                app_max=info.app_max if info else None,
            )

    # --- internals (call with the lock held) ---------------------------------------------
    def _expire(self, now: datetime) -> None:
        """Drop buckets that slid out of the 24-hour window."""
        horizon = now - WINDOW
        while self._buckets and self._buckets[0].start + BUCKET <= horizon:
            self._our_calls -= self._buckets.popleft().calls

    def _resume_when_ours_below(self, limit: int) -> datetime | None:
        """Return when enough old buckets leave the window for our calls to drop below limit."""
        excess = self._our_calls - limit + 1
        for bucket in self._buckets:
            excess -= bucket.calls
            if excess <= 0:
                return bucket.start + BUCKET + WINDOW
        return None


def _bucket_start(when: datetime) -> datetime:
    """Return the start of the minute holding ``when``."""
    return when.replace(second=0, microsecond=0)


__all__ = [
    "ApiBudget",
    "BudgetSnapshot",
    "LimitInfo",
    "MemoryUsageStore",
    "UsageStore",
    "parse_limit_info",
]
