"""Inbound run of one object: read changes since the cursor, apply them batch by batch.

Reading: ``SystemModstamp >= cursor - overlap AND SystemModstamp <= run start``, ordered by
SystemModstamp then Id, through REST query pages (or a Bulk API 2.0 query for a first read of
many records). The overlap re-reads a few seconds so a record committed late, or updated in the
same second as the cursor, is never missed; the cursor remembers a key of every record read in
that window, so a re-read record whose values did not change is dropped silently and a changed
one is applied.

Writing: each batch is applied in one transaction together with the cursor that covers it, so a
crash never advances the cursor past unapplied records. Deletions come from getDeleted over the
window since the last one and unlink their contacts (the contacts stay).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ringsync.errors import FatalSyncError
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.soql import Cond
from ringsync.store.db import Database
from ringsync.store.repositories import sync_links, sync_log, sync_state
from ringsync.store.repositories.sync_state import Cursor
from ringsync.sync.inbound_apply import BatchContext, apply_batch
from ringsync.sync.records import ReadRecord, ReadSchema, to_record

logger = logging.getLogger(__name__)

MIN_DELETED_WINDOW = timedelta(minutes=2)
MAX_DELETED_LOOKBACK = timedelta(days=14)  # the recycle bin keeps 15 days; older starts fail


@dataclass(frozen=True)
class InboundOptions:
    """Knobs of inbound reading."""

    overlap: timedelta = timedelta(seconds=5)
    batch_size: int = 500
    bulk_threshold: int | None = 10_000
    deletions: str = "unlink"  # or "ignore"


@dataclass
class _Window:
    """Keys of the records read in the cursor's overlap window, as the run goes."""

    overlap: timedelta
    modstamp: datetime | None
    keys: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    floor: datetime | None = None  # the minute Salesforce's clock had reached at the run's start
    prune_at: int = 20_000

    def add(self, read: ReadRecord) -> None:
        """Remember a record read and move the high-water mark.

        The keys below the window's low end are dropped as the window grows (the low end only
        rises, so they could never be kept): an unordered Bulk read of a million records holds
        the overlap's keys in memory, not one per record.
        """
        self.keys[read.record.id] = (read.modstamp, read.seen_key)
        if self.modstamp is None or read.modstamp > self.modstamp:
            self.modstamp = read.modstamp
        if len(self.keys) >= self.prune_at:
            self._prune()
            self.prune_at = max(20_000, 2 * len(self.keys))

    def _prune(self) -> None:
        if self.modstamp is None:
            return
        # Keep the keys of everything the next read re-reads: it starts below the floor too.
        start = self.modstamp if self.floor is None else min(self.modstamp, self.floor)
        low = start - self.overlap
        self.keys = {rid: key for rid, key in self.keys.items() if key[0] >= low}

    def cursor(self, sobject: str, deleted_until: datetime | None) -> Cursor:
        """Return the cursor covering everything added so far (keys pruned to the window)."""
        if self.modstamp is None:
            return Cursor(sobject, None, {}, deleted_until)
        self._prune()
        kept = {rid: key for rid, (_at, key) in self.keys.items()}
        return Cursor(sobject, self.modstamp, kept, deleted_until)


def _raw_rows(
    client: SalesforceClient,
    schema: ReadSchema,
    cursor: Cursor,
    until: datetime,
    options: InboundOptions,
) -> tuple[Iterator[dict[str, object]], bool]:
    """Return the raw records of the read window and whether they come in SystemModstamp order.

    A first read of at least ``bulk_threshold`` records goes through a Bulk API 2.0 query,
    without ORDER BY (it would turn off PK chunking), so its rows come in no useful order.
    """
    since = None if cursor.modstamp is None else cursor.modstamp - options.overlap
    threshold = options.bulk_threshold
    initial = since is None and threshold is not None
    if initial and client.count(schema.count_changed(since, until)) >= (threshold or 0):
        rows = client.bulk_query_iter(schema.changed_between(since, until, ordered=False))
        return (dict(row) for row in rows), False
    records = client.iter_query(schema.changed_between(since, until))
    return (dict(record) for record in records), True


def _chunks(reads: Iterable[ReadRecord], size: int) -> Iterator[list[ReadRecord]]:
    batch: list[ReadRecord] = []
    for read in reads:
        batch.append(read)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _deleted_ids(
    client: SalesforceClient,
    db: Database,
    ctx: BatchContext,
    schema: ReadSchema,
    cursor: Cursor,
    until: datetime,
) -> tuple[list[str], datetime | None]:
    """Return linked records deleted since the last window and the window's new end.

    Deleted records that were never linked are none of our business and are not logged. The
    new end is Salesforce's ``latestDateCovered`` (its own clock, never our ``until``), so the
    next window never starts in Salesforce's future when its clock is behind ours.
    """
    oldest = until - MAX_DELETED_LOOKBACK
    start = cursor.deleted_until
    if start is not None and until - start < MIN_DELETED_WINDOW:
        return [], start
    with db.read() as session:
        if not sync_links.has_links(session, ctx.account_id, schema.sobject.value):
            # Keep the old end: ours may be in Salesforce's future when its clock is behind.
            return [], start
    # Links made before any inbound run (by outbound creates) look back as far as allowed.
    resumed = start is not None
    start = oldest if start is None else max(start, oldest)
    try:
        found = client.get_deleted(schema.sobject.value, start, until)
    except FatalSyncError as exc:
        if not resumed or exc.context.get("error_code") != "INVALID_REPLICATION_DATE":
            raise
        # The last window's end is in Salesforce's future (its clock is behind ours, or was
        # set back): keep it and read deletions once Salesforce's clock has passed it.
        logger.warning(
            "getDeleted window on %s starts after Salesforce's time; deletions wait a run",
            schema.sobject.value,
        )
        return [], start
    ids = [d.id for d in found.records]
    with db.read() as session:
        linked = sync_links.by_records(session, ctx.account_id, ids)
    return [i for i in ids if i in linked], found.latest_date_covered


def run_object(
    client: SalesforceClient,
    db: Database,
    ctx: BatchContext,
    schema: ReadSchema,
    owners: dict[str, int],
    options: InboundOptions,
    should_stop: Callable[[], bool] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Read and apply one object's changes up to the run's start (``ctx.at``).

    ``should_stop`` is asked after each committed batch (shutdown or a lost lease); the next
    run resumes from the cursor. ``on_batch`` is told how many records each committed batch
    read, so a long read can report its progress as it goes.
    """
    sobject = schema.sobject.value
    until = ctx.at.replace(microsecond=0)
    with db.read() as session:
        cursor = sync_state.get_cursor(session, ctx.account_id, sobject)
    if options.deletions == "unlink":
        deleted, deleted_until = _deleted_ids(client, db, ctx, schema, cursor, until)
    else:
        deleted, deleted_until = [], until
    if deleted or deleted_until != cursor.deleted_until:
        with db.write() as session:
            if deleted:
                apply_batch(session, ctx, [], deleted=deleted)
                _flush_log(session, ctx)
            cursor = Cursor(sobject, cursor.modstamp, cursor.seen, deleted_until)
            sync_state.save_cursor(session, ctx.account_id, cursor, ctx.at)
    window = _Window(options.overlap, cursor.modstamp)
    for rid, key in cursor.seen.items():
        window.keys[rid] = (cursor.modstamp or until, key)
    raw, ordered = _raw_rows(client, schema, cursor, until, options)
    reads = (to_record(row, schema, owners, ctx.normalizer) for row in raw)
    for batch in _chunks(reads, options.batch_size):
        fresh = [r for r in batch if cursor.seen.get(r.record.id) != r.seen_key]
        for read in batch:
            window.add(read)
        with db.write() as session:
            if fresh:
                apply_batch(session, ctx, fresh, schema=schema)
                _flush_log(session, ctx)
            if ordered:  # unordered (Bulk) reads move the cursor only once complete
                next_cursor = window.cursor(sobject, cursor.deleted_until)
                sync_state.save_cursor(session, ctx.account_id, next_cursor, ctx.at)
        ctx.totals["read"] += len(batch)
        ctx.totals["already_seen"] += len(batch) - len(fresh)
        if on_batch is not None:
            on_batch(len(batch))
        if should_stop is not None and should_stop():
            ctx.totals["stopped"] += 1
            return
    if not ordered:
        with db.write() as session:
            final = window.cursor(sobject, cursor.deleted_until)
            sync_state.save_cursor(session, ctx.account_id, final, ctx.at)


def reread(
    client: SalesforceClient,
    db: Database,
    ctx: BatchContext,
    schema: ReadSchema,
    owners: dict[str, int],
    record_ids: list[str],
) -> None:
    """Read these records again by Id and apply them (retrying records our side refused)."""
    if not record_ids:
        return
    soql = schema.soql(Cond("Id", "IN", record_ids))
    reads = [to_record(dict(r), schema, owners, ctx.normalizer) for r in client.iter_query(soql)]
    ctx.totals["read"] += len(reads)
    with db.write() as session:
        if reads:
            apply_batch(session, ctx, reads, schema=schema)
            _flush_log(session, ctx)


def _flush_log(session: Session, ctx: BatchContext) -> None:
    """Write the batch's log rows in its transaction."""
    sync_log.add_entries(session, ctx.account_id, ctx.entries, ctx.at)
    ctx.entries.clear()


__all__ = ["InboundOptions", "reread", "run_object"]
