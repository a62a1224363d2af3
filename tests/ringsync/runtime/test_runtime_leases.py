"""Leases on SQLite and Postgres: exclusion, expiry takeover, fencing tokens, release."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from ringsync.clock import FrozenClock, SystemClock
from ringsync.runtime.leases import (
    LeaseLostError,
    LeaseRepository,
    account_lease_key,
    assert_current,
)
from ringsync.store.db import Database


def test_free_lease_is_acquired_with_token_one_and_refused_to_others(any_db: Database) -> None:
    clock = FrozenClock()
    leases = LeaseRepository(any_db, clock)
    key = account_lease_key(1)

    first = leases.acquire(key, "worker-a", ttl=30)

    assert first is not None
    assert (first.key, first.holder, first.token) == ("account:1:sync", "worker-a", 1)
    assert first.expires_at == clock.now() + timedelta(seconds=30)
    assert leases.acquire(key, "worker-b", ttl=30) is None
    assert leases.acquire(key, "worker-a", ttl=30) is None  # not re-entrant
    assert leases.current(key) == first


def test_expired_lease_is_taken_over_and_the_token_increments(any_db: Database) -> None:
    clock = FrozenClock()
    leases = LeaseRepository(any_db, clock)
    key = account_lease_key(2)
    crashed = leases.acquire(key, "crashed", ttl=10)
    assert crashed is not None

    clock.advance(9.9)
    assert leases.acquire(key, "rescuer", ttl=10) is None
    clock.advance(0.1)
    rescuer = leases.acquire(key, "rescuer", ttl=10)

    assert rescuer is not None
    assert rescuer.token == crashed.token + 1
    assert leases.current(key) == rescuer
    # The late writer is detected: its renew and release fail, its fence check raises.
    assert leases.renew(crashed, ttl=10) is None
    assert leases.release(crashed) is False
    with any_db.write() as session, pytest.raises(LeaseLostError, match="taken over"):
        assert_current(session, crashed)
    with any_db.write() as session:
        assert_current(session, rescuer)


def test_release_frees_the_key_at_once_and_keeps_the_token_growing(any_db: Database) -> None:
    clock = FrozenClock()
    leases = LeaseRepository(any_db, clock)
    key = account_lease_key(3)
    first = leases.acquire(key, "a", ttl=60)
    assert first is not None

    assert leases.release(first) is True
    assert leases.current(key) is None
    second = leases.acquire(key, "b", ttl=60)

    assert second is not None
    assert second.token == 2
    assert leases.last_token(key) == 2
    assert leases.release(first) is False  # releasing twice does not free b's lease
    assert leases.current(key) == second


def test_renew_extends_from_now_and_keeps_the_token(any_db: Database) -> None:
    clock = FrozenClock()
    leases = LeaseRepository(any_db, clock)
    lease = leases.acquire(account_lease_key(4), "a", ttl=10)
    assert lease is not None

    clock.advance(8)
    renewed = leases.renew(lease, ttl=10)

    assert renewed is not None
    assert renewed.token == lease.token
    assert renewed.expires_at == clock.now() + timedelta(seconds=10)
    clock.advance(9)
    assert leases.acquire(account_lease_key(4), "b", ttl=10) is None


def test_bad_arguments_are_refused(sqlite_db: Database) -> None:
    leases = LeaseRepository(sqlite_db, FrozenClock())
    with pytest.raises(ValueError, match="ttl must be positive"):
        leases.acquire("k", "h", ttl=0)
    with pytest.raises(ValueError, match="lease key"):
        leases.acquire("", "h", ttl=1)
    with pytest.raises(ValueError, match="lease holder"):
        leases.acquire("k", "x" * 201, ttl=1)


def test_many_threads_hold_the_lease_one_at_a_time(any_db: Database) -> None:
    leases = LeaseRepository(any_db, SystemClock())
    key = account_lease_key(5)
    inside = 0
    max_inside = 0
    tokens: list[int] = []
    guard = threading.Lock()
    deadline = time.monotonic() + 20

    def contend(name: str) -> None:
        nonlocal inside, max_inside
        won = 0
        while won < 5 and time.monotonic() < deadline:
            lease = leases.acquire(key, name, ttl=30)
            if lease is None:
                continue
            with guard:
                inside += 1
                max_inside = max(max_inside, inside)
                tokens.append(lease.token)
            time.sleep(0.001)
            with guard:
                inside -= 1
            assert leases.release(lease)
            won += 1

    threads = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert max_inside == 1
    assert sorted(tokens) == list(range(1, 31))  # 6 threads x 5 wins, each a new token
