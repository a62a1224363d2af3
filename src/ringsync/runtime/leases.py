"""Leases in the database: one holder per key at a time, with a fencing token.

Durable state lives in the database, so the lease does too: whichever process (embedded thread
or Celery worker) holds ``account:<id>:sync`` is the only one syncing that account. A lease has
a time to live; a crashed holder stops renewing, the lease expires, and the next ``acquire``
takes it over. Every acquisition increments the row's ``token``, so a holder that was presumed
dead but wakes up late carries an old token and its writes can be refused (see
``assert_current``).

Acquisition is one atomic upsert: ``INSERT .. ON CONFLICT (key) DO UPDATE .. WHERE the lease is
free or expired RETURNING``. On Postgres the conflicting row is locked and the WHERE re-checked
on its newest version; on SQLite the statement runs inside ``BEGIN IMMEDIATE`` (the store's
write transactions), which admits one writer at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.errors import FatalSyncError
from ringsync.runtime.lease_table import HOLDER_LENGTH, KEY_LENGTH, leases
from ringsync.store.db import Database


class LeaseLostError(FatalSyncError):
    """Another holder took the lease over; stop and write nothing more."""

    code = "lease_lost"


@dataclass(frozen=True)
class Lease:
    """One acquisition of a lease: who holds it, until when, under which fencing token."""

    key: str
    holder: str
    token: int
    acquired_at: datetime
    expires_at: datetime

    def remaining(self, now: datetime) -> timedelta:
        """Return how long the lease still runs at ``now`` (never negative)."""
        return max(self.expires_at - now, timedelta(0))


def account_lease_key(account_id: int) -> str:
    """Name the lease that serializes all sync work of one account."""
    return f"account:{account_id}:sync"


def _check_names(key: str, holder: str) -> None:
    if not key or len(key) > KEY_LENGTH:
        raise ValueError(f"lease key must be 1..{KEY_LENGTH} characters")
    if not holder or len(holder) > HOLDER_LENGTH:
        raise ValueError(f"lease holder must be 1..{HOLDER_LENGTH} characters")


def _ttl(ttl: timedelta | float) -> timedelta:
    value = ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl)
    if value <= timedelta(0):
        raise ValueError("lease ttl must be positive")
    return value


def _lease(row: Any) -> Lease:
    return Lease(
        key=row.key,
        holder=row.holder,
        token=int(row.token),
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
    )


_COLUMNS = (
    leases.c.key,
    leases.c.holder,
    leases.c.token,
    leases.c.acquired_at,
    leases.c.expires_at,
)


class LeaseRepository:
    """Acquire, renew, release and inspect leases; the clock decides what "expired" means."""

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        """Work on ``database``; read time from ``clock`` (the system clock by default)."""
        self._database = database
        self._clock: Clock = clock or SystemClock()

    @property
    def clock(self) -> Clock:
        """Return the clock that decides expiry."""
        return self._clock

    def acquire(self, key: str, holder: str, ttl: timedelta | float) -> Lease | None:
        """Take ``key`` for ``holder`` if it is free or expired; return None while held."""
        _check_names(key, holder)
        now = self._clock.now()
        expires_at = now + _ttl(ttl)
        with self._database.write() as session:
            dialect = session.get_bind().dialect.name
            if dialect not in ("postgresql", "sqlite"):
                raise NotImplementedError(f"leases are not implemented for {dialect}")
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(leases).values(
                key=key, holder=holder, token=1, acquired_at=now, expires_at=expires_at
            )
            upsert = statement.on_conflict_do_update(
                index_elements=[leases.c.key],
                set_={
                    "holder": statement.excluded.holder,
                    "token": leases.c.token + 1,
                    "acquired_at": statement.excluded.acquired_at,
                    "expires_at": statement.excluded.expires_at,
                },
                where=or_(leases.c.holder.is_(None), leases.c.expires_at <= now),
            ).returning(*_COLUMNS)
            row = session.execute(upsert).one_or_none()
        return None if row is None else _lease(row)

    def renew(self, lease: Lease, ttl: timedelta | float) -> Lease | None:
        """Extend ``lease`` from now; return None when its token is no longer current."""
        expires_at = self._clock.now() + _ttl(ttl)
        with self._database.write() as session:
            row = session.execute(
                update(leases)
                .where(
                    leases.c.key == lease.key,
                    leases.c.token == lease.token,
                    leases.c.holder == lease.holder,
                )
                .values(expires_at=expires_at)
                .returning(*_COLUMNS)
            ).one_or_none()
        return None if row is None else _lease(row)

    def renew_token(self, key: str, token: int, ttl: timedelta | float) -> Lease | None:
        """Extend the acquisition of ``key`` under ``token`` from now, whoever its holder.

        For code that knows only the fencing token it works under (the sync engine under a
        runner). Return None when the lease was released or a newer acquisition took it.
        """
        expires_at = self._clock.now() + _ttl(ttl)
        with self._database.write() as session:
            row = session.execute(
                update(leases)
                .where(
                    leases.c.key == key,
                    leases.c.token == token,
                    leases.c.holder.is_not(None),
                )
                .values(expires_at=expires_at)
                .returning(*_COLUMNS)
            ).one_or_none()
        return None if row is None else _lease(row)

    def release(self, lease: Lease) -> bool:
        """Give ``lease`` back so the next acquire needs no wait; False if it was taken over."""
        now = self._clock.now()
        with self._database.write() as session:
            row = session.execute(
                update(leases)
                .where(
                    leases.c.key == lease.key,
                    leases.c.token == lease.token,
                    leases.c.holder == lease.holder,
                )
                .values(holder=None, expires_at=now)
                .returning(leases.c.key)
            ).one_or_none()
        return row is not None

    def current(self, key: str) -> Lease | None:
        """Return the live lease on ``key``, or None when it is free or expired."""
        now = self._clock.now()
        with self._database.read() as session:
            row = session.execute(
                select(*_COLUMNS).where(
                    leases.c.key == key,
                    leases.c.holder.is_not(None),
                    leases.c.expires_at > now,
                )
            ).one_or_none()
        return None if row is None else _lease(row)

    def last_token(self, key: str) -> int:
        """Return the token of the newest acquisition of ``key`` (0 if never acquired)."""
        with self._database.read() as session:
            token = session.execute(
                select(leases.c.token).where(leases.c.key == key)
            ).scalar_one_or_none()
        return 0 if token is None else int(token)


def assert_current(session: Session, lease: Lease) -> None:
    """Refuse to write under a stale lease: raise LeaseLostError unless ``lease`` is the newest.

    Call it inside the transaction that writes results. On Postgres the lease row is locked
    (``FOR SHARE``), so a takeover waits until this transaction ends; on SQLite the write
    transaction already excludes every other writer.
    """
    row = session.execute(
        select(leases.c.token, leases.c.holder)
        .where(leases.c.key == lease.key)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or int(row.token) != lease.token or row.holder != lease.holder:
        raise LeaseLostError(
            "the lease was taken over by another worker; this worker's results are discarded",
            lease=lease.key,
            token=lease.token,
        )


__all__ = [
    "Lease",
    "LeaseLostError",
    "LeaseRepository",
    "account_lease_key",
    "assert_current",
]
