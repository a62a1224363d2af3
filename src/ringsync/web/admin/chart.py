"""The series behind the "synced and failed records over time" chart of the health section.

Pure: events in, buckets out. The browser draws the SVG from this JSON (static/chart.js); the
same numbers are printed in a table for screen readers and for pages without scripts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SYNCED_ACTIONS = frozenset({"created", "updated"})
FAILED_ACTIONS = frozenset({"failed"})
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Bucket:
    """One bar group of the chart: a time span and how many records synced or failed in it."""

    start: datetime
    synced: int
    failed: int

    def as_dict(self) -> dict[str, object]:
        """Return the bucket as JSON-ready data."""
        return {"start": self.start.isoformat(), "synced": self.synced, "failed": self.failed}


def bucket_size(events: Iterable[tuple[datetime, str]], now: datetime) -> timedelta:
    """Choose hours when every event is from the last two days, else days."""
    oldest = min((at for at, _ in events), default=now)
    return HOUR if now - oldest <= 2 * DAY else DAY


def chart_series(
    events: Iterable[tuple[datetime, str]], now: datetime, size: timedelta, count: int
) -> list[Bucket]:
    """Count synced and failed events in ``count`` buckets of ``size`` ending at ``now``.

    Buckets are aligned to whole multiples of ``size`` since the epoch so that a reload does
    not shift the bars; events outside the window and other actions are not counted.
    """
    step = int(size.total_seconds())
    epoch = int(now.timestamp())
    last_start = epoch - epoch % step
    first_start = last_start - (count - 1) * step
    synced = [0] * count
    failed = [0] * count
    for at, action in events:
        index = (int(at.timestamp()) - first_start) // step
        if not 0 <= index < count:
            continue
        if action in SYNCED_ACTIONS:
            synced[index] += 1
        elif action in FAILED_ACTIONS:
            failed[index] += 1
    return [
        Bucket(datetime.fromtimestamp(first_start + i * step, tz=now.tzinfo), synced[i], failed[i])
        for i in range(count)
    ]


__all__ = ["Bucket", "bucket_size", "chart_series"]
