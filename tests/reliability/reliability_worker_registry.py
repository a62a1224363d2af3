"""The registry the worker-kill test's Celery workers serve: the product's, with short claims.

A killed worker leaves its outbox rows claimed until the claim lapses; the product's five
minutes are too long for a test.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from ringsync.runtime.tasks import TaskRegistry
from ringsync.runtime.wiring import worker_registry
from ringsync.settings import load_settings
from ringsync.sync.engine import EngineOptions
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions
from ringsync.sync.outbound_settle import Settler

CLAIM_SECONDS = 4


def build_registry() -> TaskRegistry:
    """Return the product registry with a claim of a few seconds and SOQL reads only."""
    options = EngineOptions(
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(lease=timedelta(seconds=CLAIM_SECONDS)),
    )
    return worker_registry(load_settings(), engine_options=options)


# --- F7 at settlement: hold a worker inside the settling transaction ------------------------

SETTLE_PAUSE_ENV = "RINGSYNC_TEST_SETTLE_PAUSE"
"""A folder; while ``<folder>/armed`` exists, the next settlement that holds successful writes
takes it, writes ``<folder>/paused-<pid>`` and waits (for the test's SIGKILL)."""
SETTLE_PAUSE_SECONDS = 60.0


def build_settle_pause_registry() -> TaskRegistry:
    """Return ``build_registry()`` with the settlement pause installed in this process.

    The pause sits in ``Settler.flush``, after its statements ran in the settling transaction
    and before the commit: Salesforce has applied the writes, the store has not recorded them.
    """
    folder = Path(os.environ[SETTLE_PAUSE_ENV])
    original = Settler.flush

    def flush(self: Settler) -> None:
        sent = bool(self.bases or self.new_links)
        original(self)
        if not sent:
            return
        try:
            (folder / "armed").rename(folder / f"taken-{os.getpid()}")
        except FileNotFoundError:  # not armed, or another worker took it
            return
        (folder / f"paused-{os.getpid()}").write_text(str(os.getpid()))
        time.sleep(SETTLE_PAUSE_SECONDS)

    Settler.flush = flush  # type: ignore[method-assign]
    return build_registry()
