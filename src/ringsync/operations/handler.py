"""The contract between the operation runner and each kind of operation.

An operation runs as a loop of batches. ``fetch`` reads the next batch (Salesforce calls and
database reads) from the resume cursor; ``apply`` writes its effects inside the runner's write
transaction, which also stores the items, the progress and the cursor after the batch. A crash
between two batches therefore loses nothing and repeats nothing: the next run starts from the
cursor the last committed batch left.

Engine-backed operations (push, pull) are the exception: the sync engine commits its own
batches together with its own cursors and outbox states, so their ``fetch`` runs the engine and
their ``apply`` only records what it did. A crash there is resumed by the engine's own cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ringsync.clock import Clock
from ringsync.operations import store
from ringsync.operations.lrn import LrnLookupProvider
from ringsync.operations.model import Operation, OperationKind, PlannedItem, Preview
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database
from ringsync.sync.engine import SyncEngine


@dataclass(frozen=True)
class OperationEnv:
    """What operations work with: the store, one Salesforce org, the clock, an LRN provider.

    ``engine`` is the sync engine push and pull run through; without one, a default engine over
    this store, org and clock is built when needed. ``heartbeat`` is set by the runner while a
    batch is fetched: it renews the operation lease when due and says False once the lease was
    taken over (see :mod:`ringsync.operations.heartbeat`).
    """

    database: Database
    salesforce: SalesforceClient
    clock: Clock
    lrn: LrnLookupProvider | None = None
    engine: SyncEngine | None = None
    heartbeat: Callable[[], bool] | None = None

    def cancel_requested(self, operation: Operation) -> Callable[[], bool]:
        """Return the check an engine pass calls between its batches: lease kept, no cancel.

        It renews the runner's operation lease (so a long pass never lets it expire) and says
        stop when the lease was taken over or a cancel was requested.
        """

        def check() -> bool:
            if self.heartbeat is not None and not self.heartbeat():
                return True  # taken over: stop; the runner refuses to record the batch
            with self.database.read() as session:
                current = store.get(session, operation.account_id, operation.id)
            return current is not None and current.cancel_requested

        return check

    def progress_reporter(self, operation: Operation) -> Callable[[int], None]:
        """Return the hook an engine pass calls after each batch with its records read so far.

        It stores the operation's progress at once (its own short transaction), so the admin
        page and ``ringsync op status`` see a long read advance batch by batch; the runner's
        record of the whole pass then sets the same figure with the pass's results.
        """
        start = operation.progress_done

        def report(read: int) -> None:
            if self.heartbeat is not None and not self.heartbeat():
                return  # taken over: the new holder reports from here on
            with self.database.write() as session:
                store.set_progress(session, operation.account_id, operation.id, start + read)

        return report

    def sync_engine(self) -> SyncEngine:
        """Return the engine to run push and pull through."""
        if self.engine is not None:
            return self.engine
        return SyncEngine(self.database, lambda _account: self.salesforce, clock=self.clock)


@dataclass(frozen=True)
class Applied:
    """What ``apply`` did, when one item per unit is not the whole story (engine-backed runs).

    ``tallies`` are added to the operation's counts beside one count per item action; ``done``
    is the progress the batch made (default: the number of items).
    """

    items: Sequence[PlannedItem] = ()
    tallies: Mapping[str, int] = field(default_factory=dict)
    done: int | None = None


@dataclass(frozen=True)
class Batch:
    """One unit of work read by ``fetch``.

    ``cursor`` is the resume point once this batch is applied; ``total`` is the number of items
    the whole operation will touch when known; ``last`` says no batch follows.
    """

    payload: Any
    cursor: Any
    total: int | None = None
    last: bool = False


class OperationHandler(Protocol):
    """One kind of operation: check, preview, and run batch by batch."""

    kind: OperationKind

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """Raise OperationRefusedError when the settings or parameters forbid the operation."""
        ...

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Return what a run would do now, without writing anything."""
        ...

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Read the batch after ``operation.cursor`` (None when nothing is left)."""
        ...

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Sequence[PlannedItem] | Applied:
        """Write the batch's effects in ``session``; return what happened to each item."""
        ...


__all__ = ["Applied", "Batch", "OperationEnv", "OperationHandler"]
