"""Retry timing for Salesforce calls: exponential backoff with full jitter, bounded twice."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Decide how long to wait before each retry, so many workers never retry in step.

    ``attempt`` counts retries already made (0 before the first retry). The wait is
    ``uniform(0, min(max_delay, base_delay * 2**attempt))`` (AWS "full jitter"). A call
    stops after ``max_attempts`` tries or once ``total_time`` seconds have gone by since
    its first try, whichever comes first.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    total_time: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse settings that would never retry sensibly."""
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.total_time < 0:
            raise ValueError("delays must not be negative")

    @classmethod
    def seeded(
        cls,
        seed: int,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        total_time: float = 120.0,
    ) -> RetryPolicy:
        """Return a policy whose jitter repeats exactly for ``seed`` (for tests and demos)."""
        return cls(
            max_attempts=max_attempts,
            base_delay=base_delay,
            max_delay=max_delay,
            total_time=total_time,
            rng=random.Random(seed),  # noqa: S311  # jitter, not cryptography
        )

    @classmethod
    def no_retry(cls) -> RetryPolicy:
        """Return a policy that tries once."""
        return cls(max_attempts=1)

    def ceiling(self, attempt: int) -> float:
        """Return the largest wait allowed before retry number ``attempt`` (0-based)."""
        exponent = min(attempt, 62)
        return float(min(self.max_delay, self.base_delay * (2**exponent)))

    def delay(self, attempt: int) -> float:
        """Return a jittered wait in seconds before retry number ``attempt`` (0-based)."""
        return self.rng.uniform(0.0, self.ceiling(attempt))

    def allows(self, attempts_made: int, elapsed: float, next_delay: float) -> bool:
        """Tell whether one more try fits in both the attempt and the total-time budget."""
        if attempts_made >= self.max_attempts:
            return False
        return elapsed + next_delay <= self.total_time


__all__ = ["RetryPolicy"]
