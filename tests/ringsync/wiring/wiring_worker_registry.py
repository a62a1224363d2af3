"""The registry the wiring tests' Celery workers serve: the product's, with short claims.

A killed worker leaves its outbox rows claimed; the product waits five minutes before another
worker may take them, which is too long for a test, so the claim here lasts seconds.
"""

from __future__ import annotations

from datetime import timedelta

from ringsync.runtime.tasks import TaskRegistry
from ringsync.runtime.wiring import worker_registry
from ringsync.settings import load_settings
from ringsync.sync.engine import EngineOptions
from ringsync.sync.outbound import OutboundOptions

CLAIM_SECONDS = 4


def build_registry() -> TaskRegistry:
    """Return the product registry with an outbox claim of a few seconds."""
    options = EngineOptions(outbound=OutboundOptions(lease=timedelta(seconds=CLAIM_SECONDS)))
    return worker_registry(load_settings(), engine_options=options)
