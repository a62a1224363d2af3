"""Rate limits: sliding windows for sign-in failures, token buckets for costly or busy routes.

Sign-in failures (ASVS 2.4.1) are counted in the web process's memory: with several web
processes each one counts on its own, so the effective limit is the per-process limit times the
number of processes.

The other limits (activity events per account and per API token, the OAuth callback per client
address and per account, admin actions that spend Salesforce API calls per account) are token
buckets: a bucket holds up to ``burst`` tokens, refills ``per_second`` of them each second, and
a request takes one token from every bucket it touches, or from none when one is empty. The
buckets live where every web process sees them: in Redis (a Lua script checks and takes
atomically) when ``RINGSYNC_RATE_LIMIT_STORE`` is ``redis``, or ``auto`` with the Celery runner;
otherwise (one process, the embedded runner) in memory. Time comes from the app's clock, never
from Redis, so a frozen clock drives them in tests. If Redis cannot be reached the limits fall
back to this process's memory for a while and the log says so: a limiter outage never stops
events.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from ringsync.clock import Clock
from ringsync.errors import TooManyRequestsError
from ringsync.logs import mask_phones
from ringsync.web.buckets import Bucket, BucketStore, MemoryBuckets, Rate, open_buckets
from ringsync.web.errors import error_response

if TYPE_CHECKING:
    from ringsync.settings import Settings

log = logging.getLogger(__name__)

MAX_KEYS = 100_000
STATE_ATTRIBUTE = "ringsync_rate_limits"
OAUTH_WINDOW = timedelta(minutes=10)
LOG_EVERY = timedelta(minutes=1)


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


# --- what each route may do ---------------------------------------------------------------


@dataclass(frozen=True)
class RatePolicy:
    """The rates of every limited route (from settings; zero turns one off)."""

    events_per_account: Rate
    events_per_token: Rate
    salesforce_actions: Rate
    oauth_per_address: Rate
    oauth_per_account: Rate

    @classmethod
    def from_settings(cls, settings: Settings) -> RatePolicy:
        """Read the ``RINGSYNC_RATE_LIMIT_*`` settings."""
        return cls(
            events_per_account=Rate(
                settings.rate_limit_events_burst, settings.rate_limit_events_per_second
            ),
            events_per_token=Rate(
                settings.rate_limit_token_events_burst,
                settings.rate_limit_token_events_per_second,
            ),
            salesforce_actions=Rate.per_window(
                settings.rate_limit_salesforce_actions_per_minute, timedelta(minutes=1)
            ),
            oauth_per_address=Rate.per_window(
                settings.rate_limit_oauth_callbacks_per_address, OAUTH_WINDOW
            ),
            oauth_per_account=Rate.per_window(
                settings.rate_limit_oauth_callbacks_per_account, OAUTH_WINDOW
            ),
        )


SALESFORCE_ACTIONS = {
    "operations": "operation runs and previews",
    "users_sync": "user syncs",
    "retry": "failed-record retries",
    "check": "connection checks",
}


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def refusal_message(bucket: Bucket) -> str:
    """Say which limit refused, how large it is and that nothing was done (built on refusal)."""
    kind, _, _ = bucket.key.partition(":")
    rate = bucket.rate
    if kind.startswith("events-"):
        who = "for this account" if kind == "events-account" else "from this API token"
        return (
            f"too many events {who} (at most {_count(rate.per_second)} a second, bursts of "
            f"{_count(rate.burst)}); this event was not recorded"
        )
    if kind.startswith("salesforce-"):
        what = SALESFORCE_ACTIONS[kind.removeprefix("salesforce-")]
        return (
            f"too many {what} for this account (at most {_count(rate.burst)} a minute, to "
            "spare its Salesforce API budget); nothing was started"
        )
    who = "from this address" if kind == "oauth-address" else "for this account"
    minutes = int(OAUTH_WINDOW.total_seconds() // 60)
    return (
        f"too many Salesforce sign-ins {who} (at most {_count(rate.burst)} in {minutes} "
        "minutes); nothing was stored"
    )


def _batch_refusal(
    refused: TooManyRequestsError, buckets: Sequence[Bucket], events: int, account_id: int
) -> TooManyRequestsError:
    """Return the 429 for a whole batch: wait until the emptied bucket holds the batch again."""
    limit = str(refused.context.get("limit", ""))
    bucket = next((b for b in buckets if b.key.partition(":")[0] == limit), buckets[0])
    wait = refused.retry_after  # until the bucket holds the whole batch again
    return TooManyRequestsError(
        f"{refusal_message(bucket).replace('this event was', 'this batch was')}: none of its "
        f"{events:,} events was recorded; try again in {wait} second{'s' if wait != 1 else ''}",
        retry_after=wait,
        limit=limit or bucket.key.partition(":")[0],
        account_id=account_id,
    )


class RateLimits:
    """Check a request against its buckets; refuse with TooManyRequestsError (429)."""

    def __init__(self, clock: Clock, policy: RatePolicy, store: BucketStore | None = None) -> None:
        """Use ``store`` (memory by default) and the rates of ``policy``."""
        self._clock = clock
        self.policy = policy
        self._store = store or MemoryBuckets()
        self._logged: dict[str, datetime] = {}
        self._log_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> RateLimits:
        """Build the limits and their store from settings."""
        return cls(clock, RatePolicy.from_settings(settings), open_buckets(settings, clock))

    def _take(self, buckets: Sequence[Bucket], account_id: int, cost: int = 1) -> None:
        active = [b for b in buckets if b.rate.enabled]
        if not active:
            return
        refusal = self._store.take(active, self._clock.now().timestamp(), cost)
        if refusal is None:
            return
        bucket = active[refusal.index]
        wait = max(1, math.ceil(refusal.wait - 1e-9))
        self._note(bucket.key)
        raise TooManyRequestsError(
            f"{refusal_message(bucket)}; try again in {wait} second{'s' if wait != 1 else ''}",
            retry_after=wait,
            limit=bucket.key.partition(":")[0],
            account_id=account_id,
        )

    def _note(self, key: str) -> None:
        """Log a refused bucket at most once a minute (a flood must not flood the log)."""
        now = self._clock.now()
        with self._log_lock:
            last = self._logged.get(key)
            if last is not None and now - last < LOG_EVERY:
                return
            if len(self._logged) >= MAX_KEYS:
                self._logged.clear()
            self._logged[key] = now
        log.warning("rate limit reached: %s (logged at most once a minute per limit)", key)

    def check_event(self, account_id: int, token_id: int | None, events: int = 1) -> None:
        """Take ``events`` events from the account's bucket and the API token's (when used).

        A batch counts every event it holds, taken in one atomic step from every bucket: the
        batch passes whole or is refused whole with nothing taken and nothing written. A batch
        larger than a bucket's burst can never pass and is refused at once.
        """
        buckets = [Bucket(f"events-account:{account_id}", self.policy.events_per_account)]
        if token_id is not None:
            buckets.append(Bucket(f"events-token:{token_id}", self.policy.events_per_token))
        if events <= 1:
            self._take(buckets, account_id)
            return
        active = [b for b in buckets if b.rate.enabled]
        for bucket in active:
            if events > bucket.rate.burst:
                self._note(bucket.key)
                raise TooManyRequestsError(
                    f"{refusal_message(bucket)}; a batch of {events:,} events is larger than "
                    f"the burst of {_count(bucket.rate.burst)}: send smaller batches",
                    retry_after=max(1, math.ceil(bucket.rate.burst / bucket.rate.per_second)),
                    limit=bucket.key.partition(":")[0],
                    account_id=account_id,
                )
        try:
            self._take(active, account_id, events)
        except TooManyRequestsError as exc:
            raise _batch_refusal(exc, active, events, account_id) from None

    def check_salesforce_action(self, account_id: int, action: str) -> None:
        """Take one of the account's admin actions of this kind that spend Salesforce calls."""
        if action not in SALESFORCE_ACTIONS:
            raise ValueError(f"unknown Salesforce action {action!r}")
        rate = self.policy.salesforce_actions
        self._take([Bucket(f"salesforce-{action}:{account_id}", rate)], account_id)

    def check_oauth_callback(self, account_id: int, address: str) -> None:
        """Take one Salesforce sign-in callback for the client address and the account."""
        buckets = [
            Bucket(f"oauth-address:{address}", self.policy.oauth_per_address),
            Bucket(f"oauth-account:{account_id}", self.policy.oauth_per_account),
        ]
        self._take(buckets, account_id)

    def close(self) -> None:
        """Let go of the store's connections."""
        self._store.close()


def rate_limits(request: Request) -> RateLimits:
    """Return the app's rate limits, building them from its settings on first use."""
    state = request.app.state
    found = getattr(state, STATE_ATTRIBUTE, None)
    if isinstance(found, RateLimits):
        return found
    ctx = state.ringsync
    built = RateLimits.from_settings(ctx.settings, ctx.clock)
    setattr(state, STATE_ATTRIBUTE, built)
    return built


RateLimitsDep = Annotated[RateLimits, Depends(rate_limits)]


async def on_too_many_requests(request: Request, exc: Exception) -> Response:
    """Answer 429 in the one error shape with ``Retry-After``."""
    assert isinstance(exc, TooManyRequestsError)
    log.debug("refused %s %s: %s", request.method, mask_phones(request.url.path), exc.code)
    return error_response(429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})


__all__ = [
    "Limit",
    "LoginLimiter",
    "RateLimits",
    "RateLimitsDep",
    "RatePolicy",
    "SlidingWindowLimiter",
    "on_too_many_requests",
    "rate_limits",
    "refusal_message",
]
