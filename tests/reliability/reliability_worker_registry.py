"""The registry the worker-kill test's Celery workers serve: the product's, with short claims.

A killed worker leaves its outbox rows claimed until the claim lapses; the product's five
minutes are too long for a test.
"""

from __future__ import annotations

from datetime import timedelta

from ringsync.runtime.tasks import TaskRegistry
from ringsync.runtime.wiring import worker_registry
from ringsync.settings import load_settings
from ringsync.sync.engine import EngineOptions
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions

CLAIM_SECONDS = 4


def build_registry() -> TaskRegistry:
    """Return the product registry with a claim of a few seconds and SOQL reads only."""
    options = EngineOptions(
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(lease=timedelta(seconds=CLAIM_SECONDS)),
    )
    return worker_registry(load_settings(), engine_options=options)
