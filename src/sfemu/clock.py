"""A clock that moves only when told to: tests and demos drive an org's time with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


class ManualClock:
    """Return a fixed aware-UTC time that the caller moves forward explicitly."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        """Start the clock at ``start`` (aware)."""
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.current

    def advance(self, seconds: float = 1.0) -> datetime:
        """Move the clock forward and return the new time."""
        self.current += timedelta(seconds=seconds)
        return self.current

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware)."""
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.current = when.astimezone(UTC)
