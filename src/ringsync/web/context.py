"""What every request handler needs, built once per app by ``create_app``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from ringsync.clock import Clock
from ringsync.runtime.runner import Runner
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.web.ratelimit import LoginLimiter
from ringsync.web.security import Passwords, Signer

log = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=12)


@dataclass
class WebContext:
    """The app's settings, store, clock, runner and security helpers."""

    settings: Settings
    database: Database
    clock: Clock
    signer: Signer
    passwords: Passwords
    login_limiter: LoginLimiter
    runner: Runner | None = None
    session_lifetime: timedelta = field(default=SESSION_LIFETIME)

    def wake(self, account_id: int) -> None:
        """Ask the runner to sync ``account_id`` soon; a failure here loses nothing.

        The change already sits in the outbox (committed), so the scheduled poll picks it up
        even when the wake-up cannot be delivered.
        """
        if self.runner is None:
            return
        try:
            self.runner.wake(account_id)
        except Exception as exc:  # the outbox row is durable; never fail the request for this
            log.warning("could not wake the runner for account %s: %s", account_id, exc)


__all__ = ["SESSION_LIFETIME", "WebContext"]
