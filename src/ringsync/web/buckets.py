"""Token buckets for rate limits, in this process's memory or in Redis (shared by processes).

A bucket holds up to ``burst`` tokens and refills ``per_second`` of them each second; a request
takes one token from every bucket it touches, or from none when one of them is empty, so a
refused request costs nothing. In Redis one Lua script checks and takes atomically; the time
is the caller's (the app's clock), never Redis's, so a frozen clock drives the buckets in
tests. Redis being unreachable is not fatal: the buckets fall back to this process's memory
for ``REDIS_RETRY_AFTER`` and the log says so once per fallback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ringsync.clock import Clock
from ringsync.errors import ConfigError

if TYPE_CHECKING:
    from ringsync.settings import Settings

log = logging.getLogger(__name__)

MAX_KEYS = 100_000
REDIS_RETRY_AFTER = timedelta(seconds=30)
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Rate:
    """Bursts of up to ``burst`` requests, refilled at ``per_second``; zero turns it off."""

    burst: float
    per_second: float

    @classmethod
    def per_window(cls, count: int, window: timedelta) -> Rate:
        """Allow ``count`` at once, and ``count`` again after each full ``window``."""
        return cls(float(count), count / window.total_seconds() if count > 0 else 0.0)

    @property
    def enabled(self) -> bool:
        """Tell whether the limit applies at all."""
        return self.burst >= 1 and self.per_second > 0


@dataclass(frozen=True)
class Bucket:
    """One bucket a request takes a token from."""

    key: str
    rate: Rate


@dataclass(frozen=True)
class Refusal:
    """The bucket (by position) that was empty, and the seconds until it holds a token."""

    index: int
    wait: float


class BucketStore(Protocol):
    """Take one token from every bucket, or from none and say which one was empty."""

    def take(self, buckets: Sequence[Bucket], now: float, cost: float = 1.0) -> Refusal | None:
        """Take ``cost`` tokens from each bucket at ``now`` (epoch seconds), or none and refuse."""
        ...

    def close(self) -> None:
        """Let go of connections."""
        ...


class MemoryBuckets:
    """Buckets in this process's memory (one web process, or a fallback while Redis is away)."""

    def __init__(self) -> None:
        """Start with every bucket full."""
        self._state: dict[str, tuple[float, float, float]] = {}  # tokens, updated, full at
        self._lock = threading.Lock()

    def take(self, buckets: Sequence[Bucket], now: float, cost: float = 1.0) -> Refusal | None:
        """Take ``cost`` tokens from each bucket atomically, or none."""
        with self._lock:
            if len(self._state) >= MAX_KEYS:
                self._forget_full(now)
            levels: list[tuple[float, float]] = []
            for index, bucket in enumerate(buckets):
                tokens, updated, _full_at = self._state.get(
                    bucket.key, (bucket.rate.burst, now, now)
                )
                stamp = max(updated, now)
                tokens = min(bucket.rate.burst, tokens + (stamp - updated) * bucket.rate.per_second)
                if tokens < cost:
                    return Refusal(index, (cost - tokens) / bucket.rate.per_second)
                levels.append((tokens - cost, stamp))
            for bucket, (left, stamp) in zip(buckets, levels, strict=True):
                full_at = stamp + (bucket.rate.burst - left) / bucket.rate.per_second
                self._state[bucket.key] = (left, stamp, full_at)
            return None

    def _forget_full(self, now: float) -> None:
        for key, (_tokens, _updated, full_at) in list(self._state.items()):
            if full_at <= now:
                del self._state[key]

    def close(self) -> None:
        """Nothing to let go of."""


# KEYS: the buckets; ARGV[1]: now in seconds; ARGV[2]: the tokens to take from each; then burst
# and refill per second for each key.
# Checks every bucket first and writes only when all hold a token (all or nothing).
TAKE_SCRIPT = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local levels = {}
local stamps = {}
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i + 1])
  local rate = tonumber(ARGV[2 * i + 2])
  local state = redis.call('HMGET', key, 't', 'u')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    tokens = burst
    updated = now
  end
  local stamp = math.max(updated, now)
  tokens = math.min(burst, tokens + (stamp - updated) * rate)
  if tokens < cost then
    return {i, math.ceil((cost - tokens) / rate * 1000)}
  end
  levels[i] = tokens - cost
  stamps[i] = stamp
end
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i + 1])
  local rate = tonumber(ARGV[2 * i + 2])
  redis.call('HSET', key, 't', string.format('%.6f', levels[i]),
             'u', string.format('%.6f', stamps[i]))
  redis.call('PEXPIRE', key, math.ceil(((burst - levels[i]) / rate + 60) * 1000))
end
return {0, 0}
"""


class RedisBuckets:
    """Buckets in Redis, shared by every web process; falls back to memory while Redis is away."""

    def __init__(self, url: str, prefix: str, clock: Clock) -> None:
        """Remember where Redis is; connect on first use."""
        self._url = url
        self._prefix = prefix
        self._clock = clock
        self._client: Any = None
        self._script: Any = None
        self._fallback = MemoryBuckets()
        self._down_until: datetime | None = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        with self._lock:
            if self._script is None:
                import redis

                self._client = redis.Redis.from_url(
                    self._url,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                )
                self._script = self._client.register_script(TAKE_SCRIPT)
            return self._script

    def take(self, buckets: Sequence[Bucket], now: float, cost: float = 1.0) -> Refusal | None:
        """Take the tokens in Redis; while Redis is unreachable, in this process's memory."""
        import redis

        if self._down_until is not None and self._clock.now() < self._down_until:
            return self._fallback.take(buckets, now, cost)
        args: list[str] = [repr(now), repr(float(cost))]
        for bucket in buckets:
            args += [repr(bucket.rate.burst), repr(bucket.rate.per_second)]
        keys = [self._prefix + bucket.key for bucket in buckets]
        try:
            index, wait_ms = self._connect()(keys=keys, args=args)
        except (redis.RedisError, OSError) as exc:
            self._down_until = self._clock.now() + REDIS_RETRY_AFTER
            log.warning(
                "rate limits: Redis is unreachable (%s); this process counts on its own for %d s",
                type(exc).__name__,
                REDIS_RETRY_AFTER.total_seconds(),
            )
            return self._fallback.take(buckets, now, cost)
        self._down_until = None
        return None if int(index) == 0 else Refusal(int(index) - 1, int(wait_ms) / 1000)

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()


def open_buckets(settings: Settings, clock: Clock) -> BucketStore:
    """Return the store ``RINGSYNC_RATE_LIMIT_STORE`` names (auto: Redis with Celery)."""
    choice = settings.rate_limit_store
    url = settings.rate_limit_redis_url or settings.broker_url
    if choice == "auto":
        choice = "redis" if settings.runner == "celery" and url.startswith("redis") else "memory"
    if choice == "memory":
        return MemoryBuckets()
    try:
        import redis  # noqa: F401  # only to tell a missing extra early
    except ModuleNotFoundError:
        raise ConfigError(
            "RINGSYNC_RATE_LIMIT_STORE=redis needs the redis package: pip install 'ringsync[scale]'"
        ) from None
    return RedisBuckets(url, settings.rate_limit_key_prefix, clock)


__all__ = [
    "Bucket",
    "BucketStore",
    "MemoryBuckets",
    "Rate",
    "RedisBuckets",
    "Refusal",
    "open_buckets",
]
