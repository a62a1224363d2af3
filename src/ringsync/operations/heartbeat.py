"""Keep an operation's lease alive while one long batch runs (an engine pass, for instance).

The runner renews its operation lease before every batch, but one batch can outlast the lease:
a pull's read step is a single runner batch that may take hours. The runner therefore hands
the handler a heartbeat (``OperationEnv.heartbeat``); the engine calls it between its own
batches through ``should_stop``. Each beat renews the lease once a third of its time to live has
passed since the last renewal, so a live operation never looks abandoned to ``cancel`` or
``resume`` elsewhere, and a lease found taken over makes the beat say "stop".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ringsync.runtime.leases import Lease, LeaseLostError, LeaseRepository

RENEW_FRACTION = 3  # renew once 1/RENEW_FRACTION of the time to live has passed


class OperationHeartbeat:
    """Renew one operation lease between the batches of the runner and of the engine."""

    def __init__(self, leases: LeaseRepository, lease: Lease, ttl: timedelta) -> None:
        """Keep ``lease`` (just acquired or renewed) alive for ``ttl`` at every renewal."""
        if ttl <= timedelta(0):
            raise ValueError("lease ttl must be positive")
        self._leases = leases
        self._lease = lease
        self._ttl = ttl
        self._renewed_at: datetime = leases.clock.now()
        self._lost = False

    @property
    def lease(self) -> Lease:
        """Return the lease as last renewed (its token fences the batch's writes)."""
        return self._lease

    @property
    def lost(self) -> bool:
        """Return whether a renewal found the lease taken over by another worker."""
        return self._lost

    def renew(self) -> Lease:
        """Renew the lease now; raise LeaseLostError when another worker holds it."""
        if not self._renew():
            raise LeaseLostError(
                "another worker took this operation over; stopping without writing",
                lease=self._lease.key,
                token=self._lease.token,
            )
        return self._lease

    def beat(self) -> bool:
        """Renew the lease when it is due; return False once it is lost (the caller stops)."""
        if self._lost:
            return False
        if self._leases.clock.now() - self._renewed_at < self._ttl / RENEW_FRACTION:
            return True
        return self._renew()

    def _renew(self) -> bool:
        now = self._leases.clock.now()
        renewed = None if self._lost else self._leases.renew(self._lease, self._ttl)
        if renewed is None:
            self._lost = True
            return False
        self._lease = renewed
        self._renewed_at = now
        return True


__all__ = ["RENEW_FRACTION", "OperationHeartbeat"]
