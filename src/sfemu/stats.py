"""API usage and traffic counters one emulator keeps, readable by tests and benchmarks.

Two kinds of numbers live here: the *daily API usage* that Salesforce enforces (what
``Sforce-Limit-Info`` and ``/limits`` report, settable through the admin API) and the
*traffic statistics* (calls by endpoint and method, records read and written) that
benchmarks compare. Resetting the statistics leaves the daily usage alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
USAGE_WINDOW = timedelta(hours=24)


class Stats:
    """Count API calls, writes and records; track the daily API usage window."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self.daily_used = 0
        self.window_started_at: datetime | None = None
        self.reset()

    def reset(self) -> None:
        """Zero the traffic statistics (the daily API usage is kept)."""
        self.api_calls_total = 0
        self.write_calls_total = 0
        self.records_read = 0
        self.records_written = 0
        self.calls: dict[tuple[str, str], int] = {}

    # --- daily API usage ------------------------------------------------------------------
    def roll_window(self, now: datetime) -> None:
        """Start a new 24-hour usage window when the current one has passed."""
        started = self.window_started_at
        if started is None or now - started >= USAGE_WINDOW:
            self.window_started_at = now
            self.daily_used = 0

    def set_daily_used(self, used: int, now: datetime) -> None:
        """Set the usage counted in the current window (the admin API uses it)."""
        self.window_started_at = now
        self.daily_used = max(0, used)

    # --- traffic ------------------------------------------------------------------------
    def count_call(self, method: str) -> None:
        """Count one API call toward the totals and the daily usage."""
        self.daily_used += 1
        self.api_calls_total += 1
        if method in WRITE_METHODS:
            self.write_calls_total += 1

    def count_endpoint(self, method: str, endpoint: str) -> None:
        """Count one call against its route template (``sobjects/{sobject}/{id}``)."""
        key = (endpoint, method)
        self.calls[key] = self.calls.get(key, 0) + 1

    def count_records(self, *, read: int = 0, written: int = 0) -> None:
        """Add records a handler read or wrote."""
        self.records_read += read
        self.records_written += written

    def calls_to(self, endpoint: str, method: str | None = None) -> int:
        """Return how many calls hit ``endpoint`` (with ``method``, or any method)."""
        return sum(
            n
            for (ep, m), n in self.calls.items()
            if ep == endpoint and (method is None or m == method)
        )

    def snapshot(self, daily_api_limit: int) -> dict[str, Any]:
        """Return every counter as JSON-ready data."""
        by_endpoint: dict[str, dict[str, int]] = {}
        for (endpoint, method), n in sorted(self.calls.items()):
            by_endpoint.setdefault(endpoint, {})[method] = n
        return {
            "api_calls_total": self.api_calls_total,
            "write_calls_total": self.write_calls_total,
            "records_read": self.records_read,
            "records_written": self.records_written,
            "daily_api_used": self.daily_used,
            "daily_api_limit": daily_api_limit,
            "calls": by_endpoint,
        }
