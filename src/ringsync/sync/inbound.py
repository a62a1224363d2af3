"""Inbound run of one object: read changes since the cursor, apply them batch by batch.

Reading: ``SystemModstamp >= cursor - overlap AND SystemModstamp <= run start``, ordered by
SystemModstamp then Id, through REST query pages (or a Bulk API 2.0 query for a first read of
many records). The overlap re-reads a few seconds so a record committed late, or updated in the
same second as the cursor, is never missed; the cursor remembers a key of every record read in
that window, so a re-read record whose values did not change is dropped silently and a changed
one is applied.

Salesforce's clock: before reading, a getUpdated call learns the minute Salesforce's clock has
reached (its ``latestDateCovered``). An edit made since the last read is stamped no earlier than
that minute minus the time elapsed since the last read started (by our clock), even when
Salesforce's clock was set back meanwhile; the read starts there when that is below the cursor.
So edits stamped below the cursor after a set-back are still read, and what was read before is
dropped again by its key (the keys are kept down to a minute below Salesforce's time).

Writing: each batch is applied in one transaction together with the cursor that covers it, so a
crash never advances the cursor past unapplied records. Deletions come from getDeleted over the
window since the last one and unlink their contacts (the contacts stay). Before a batch is
applied, a linked record reading back a value of one of our updates whose outcome is unknown
(see ``sync_in_flight``) takes that value as its base: it is our echo, not a Salesforce edit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ringsync.errors import FatalSyncError
from ringsync.mapping.catalog import FieldMapping
from ringsync.mapping.convert import Converted
from ringsync.mapping.fieldinfo import PICKLIST_TYPES
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.describe import allow_list
from ringsync.salesforce.soql import Cond, select
from ringsync.store.db import Database
from ringsync.store.repositories import (
    sync_in_flight,
    sync_links,
    sync_log,
    sync_read_marks,
    sync_state,
)
from ringsync.store.repositories.sync_links import LinkRow
from ringsync.store.repositories.sync_state import Cursor
from ringsync.sync.inbound_apply import BatchContext, apply_batch
from ringsync.sync.merge import StoredForm, in_flight_echoes
from ringsync.sync.records import OWNER, ReadRecord, ReadSchema, to_record

logger = logging.getLogger(__name__)

MIN_DELETED_WINDOW = timedelta(minutes=2)
MAX_DELETED_LOOKBACK = timedelta(days=14)  # the recycle bin keeps 15 days; older starts fail
CLOCK_PROBE_BACK = timedelta(minutes=2)  # getUpdated needs a window over a minute long
CLOCK_PROBE_RETRIES = (timedelta(0), timedelta(hours=1), timedelta(days=1))
MAX_CLOCK_PROBE_LOOKBACK = timedelta(days=7)  # getUpdated refuses starts over 30 days back
CLOCK_GRAIN = timedelta(minutes=1)  # latestDateCovered is Salesforce's time cut to the minute
RECONCILE_CHUNK = 500  # record ids per reconciliation query (well under SOQL's length limit)


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
    floor: datetime | None = None  # keys are kept down to this too: the next read may start there

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
            self.prune_at = max(20_000, len(self.keys) + len(self.keys) // 4)

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
    floor: datetime | None = None,
) -> tuple[Iterator[dict[str, object]], bool]:
    """Return the raw records of the read window and whether they come in SystemModstamp order.

    The window starts ``overlap`` before the cursor, or before ``floor`` (the earliest stamp an
    edit made since the last read can carry, by Salesforce's clock) when that is lower.
    A first read of at least ``bulk_threshold`` records goes through a Bulk API 2.0 query,
    without ORDER BY (it would turn off PK chunking), so its rows come in no useful order.
    """
    since = None
    if cursor.modstamp is not None:
        since = read_start(cursor.modstamp, floor) - options.overlap
    threshold = options.bulk_threshold
    initial = since is None and threshold is not None
    if initial and client.count(schema.count_changed(since, until)) >= (threshold or 0):
        rows = client.bulk_query_iter(schema.changed_between(since, until, ordered=False))
        return (dict(row) for row in rows), False
    records = client.iter_query(schema.changed_between(since, until))
    return (dict(record) for record in records), True


def read_start(modstamp: datetime, floor: datetime | None) -> datetime:
    """Return where a read resumes: the cursor, or the floor when that is lower."""
    return modstamp if floor is None else min(modstamp, floor)


def _since_last_read(db: Database, ctx: BatchContext, sobject: str, until: datetime) -> timedelta:
    """Return the time elapsed, by our clock, since the last complete read of ``sobject`` began.

    Salesforce stamps every edit with its own clock, which ran that long since: an edit made
    since then is stamped no earlier than Salesforce's time now minus this (a set-back in
    between only lowers the stamps). Zero before the first marked read (a store upgraded from
    before the marks): that read starts from the cursor or Salesforce's time, whichever is lower.
    """
    with db.read() as session:
        last = sync_read_marks.last_read_at(session, ctx.account_id, sobject)
    if last is None or last > until:
        return timedelta(0)
    return min(until - last, MAX_CLOCK_PROBE_LOOKBACK)


def _salesforce_floor(
    client: SalesforceClient, schema: ReadSchema, cursor: Cursor, until: datetime
) -> datetime | None:
    """Return the minute Salesforce's clock has reached (getUpdated's ``latestDateCovered``).

    The getUpdated window ends at our ``until`` and starts a little before the cursor, so its
    ids are the records the read fetches anyway. A start in Salesforce's future (its clock is
    behind the cursor) is refused with INVALID_REPLICATION_DATE: the start moves back and the
    call is repeated. None before the first read (nothing to clamp) or when no start works.
    """
    if cursor.modstamp is None:
        return None
    sobject = schema.sobject.value
    start = max(min(cursor.modstamp, until) - CLOCK_PROBE_BACK, until - MAX_CLOCK_PROBE_LOOKBACK)
    for back in CLOCK_PROBE_RETRIES:
        try:
            covered = client.get_updated(sobject, start - back, until).latest_date_covered
        except FatalSyncError as exc:
            if exc.context.get("error_code") != "INVALID_REPLICATION_DATE":
                raise
            continue
        return min(covered, until)
    logger.warning("could not learn Salesforce's time for %s; reading from the cursor", sobject)
    return None


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
    # getDeleted cannot reach further back than Salesforce's window: after a longer gap (or
    # with no window yet) the deletions before it are found by reading every link's record.
    reconcile = start is None or start < oldest
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
    deleted = [i for i in ids if i in linked]
    if reconcile:
        missing = _missing_records(client, db, ctx, schema)
        ctx.totals["deletions_reconciled"] += 1
        seen = set(deleted)
        deleted.extend(i for i in missing if i not in seen)
    return deleted, found.latest_date_covered


def _missing_records(
    client: SalesforceClient, db: Database, ctx: BatchContext, schema: ReadSchema
) -> list[str]:
    """Return the linked records of this object that Salesforce no longer has (a full check).

    Ran when the last deletion window is older than getDeleted reaches: a record deleted in
    the gap (and maybe already purged from the recycle bin) is simply absent from a query.
    """
    sobject = schema.sobject.value
    with db.read() as session:
        links = sync_links.list_links(session, ctx.account_id, sobject=sobject)
    linked = [link.record_id for link in links]
    allowed = allow_list(schema.describe)
    live: set[str] = set()
    for first in range(0, len(linked), RECONCILE_CHUNK):
        chunk = linked[first : first + RECONCILE_CHUNK]
        soql = select(["Id"], sobject, allowed=allowed, where=Cond("Id", "IN", chunk))
        live.update(str(row["Id"])[:15] for row in client.iter_query(soql))
    return [record_id for record_id in linked if record_id[:15] not in live]


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
    covered = _salesforce_floor(client, schema, cursor, until)
    floor = keep_from = None
    if covered is not None:  # see the module docstring: reading from Salesforce's time
        floor = covered - _since_last_read(db, ctx, sobject, until)
        keep_from = covered - CLOCK_GRAIN  # where the next read may start, at the latest
    window = _Window(options.overlap, cursor.modstamp, floor=keep_from)
    for rid, key in cursor.seen.items():
        window.keys[rid] = (cursor.modstamp or until, key)
    raw, ordered = _raw_rows(client, schema, cursor, until, options, floor)
    reads = (to_record(row, schema, owners, ctx.normalizer) for row in raw)
    for batch in _chunks(reads, options.batch_size):
        fresh = [r for r in batch if cursor.seen.get(r.record.id) != r.seen_key]
        for read in batch:
            window.add(read)
        with db.write() as session:
            if fresh:
                take_echoes(session, ctx, fresh, schema)
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
    with db.write() as session:
        if not ordered:
            final = window.cursor(sobject, cursor.deleted_until)
            sync_state.save_cursor(session, ctx.account_id, final, ctx.at)
        sync_read_marks.mark_read(session, ctx.account_id, sobject, ctx.at)


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
            take_echoes(session, ctx, reads, schema)
            apply_batch(session, ctx, reads, schema=schema)
            _flush_log(session, ctx)


def take_echoes(
    session: Session,
    ctx: BatchContext,
    reads: Sequence[ReadRecord],
    schema: ReadSchema,
) -> set[int]:
    """Settle in-flight values against the records read, before the batch is merged.

    A field reading back a value we sent with an unknown outcome, as sent or in the form
    Salesforce stored it (see :func:`stored_form`, built from the records' ``schema``), is our
    own write: its base becomes that value (so the merge sees an echo, not a Salesforce edit
    that could revert a newer edit of ours). An unlinked record with the phone of one of our
    creates of unknown outcome is that create's record: it is linked first. Every in-flight
    value of a field read is then settled and dropped. Returns the contacts whose in-flight
    values changed.
    """
    pending = sync_in_flight.load(session, ctx.account_id)
    if not pending:
        return set()
    links = sync_links.by_records(session, ctx.account_id, [r.record.id for r in reads])
    links.update(_link_our_creates(session, ctx, reads, links, pending))
    rebase: dict[int, dict[str, object]] = {}
    left: dict[int, dict[str, list[object]]] = {}
    stored = stored_form(schema)
    for read in reads:
        link = links.get(read.record.id)
        if link is None or link.contact_id not in pending:
            continue
        sent = pending[link.contact_id]
        values = read.record.values
        echoes = in_flight_echoes(values, link.base, sent, ctx.normalizer, stored)
        if echoes:
            rebase[link.contact_id] = echoes
        left[link.contact_id] = {p: vs for p, vs in sent.items() if p not in values}
    sync_links.update_bases(session, ctx.account_id, rebase, ctx.at)
    sync_in_flight.save_many(session, ctx.account_id, left, ctx.at)
    return set(left)


def stored_form(schema: ReadSchema) -> StoredForm:
    """Return how Salesforce stores a value we send for a property read through ``schema``.

    The value goes through the outbound conversion for the field's describe (cut to its length
    under the row's policy, rounded to its scale...); Salesforce then matches a picklist value
    to a defined one whatever its letter case. The result is read back as the property's type.
    A value that does not convert, or an owner (sent through the user mapping), stays as it is.
    """
    rows = {row.ringsync_property: row for row in schema.rows}

    def form(prop: str, value: object) -> object:
        row = rows.get(prop)
        if row is None or schema.outbound is None or prop == OWNER:
            return value
        written = schema.outbound(row, value)
        if not isinstance(written, Converted):
            return value
        back = schema.convert(row, _picklist_case(schema, row, written.value))
        return back.value if isinstance(back, Converted) else value

    return form


def _picklist_case(schema: ReadSchema, row: FieldMapping, wire: object) -> object:
    """Return a picklist value as Salesforce stores it: in the case of the value it defines."""
    described = schema.describe.field(row.salesforce_field)
    if described is None or not isinstance(wire, str):
        return wire
    kind = described.type.lower()
    if kind not in PICKLIST_TYPES:
        return wire
    defined = {entry.value.lower(): entry.value for entry in described.picklist_values}
    items = wire.split(";") if kind == "multipicklist" else [wire]
    return ";".join(defined.get(item.lower(), item) for item in items)


def _link_our_creates(
    session: Session,
    ctx: BatchContext,
    reads: Sequence[ReadRecord],
    links: Mapping[str, LinkRow],
    pending: Mapping[int, Mapping[str, Sequence[object]]],
) -> dict[str, LinkRow]:
    """Link unlinked records made by our creates whose response was lost (matched by phone)."""
    linked = sync_links.by_contacts(session, ctx.account_id, list(pending))
    waiting: dict[str, int] = {}
    for contact_id, sent in pending.items():
        if contact_id in linked:
            continue
        for phone in sent.get("phone", ()):
            e164 = ctx.phone(phone.strip()) if isinstance(phone, str) and phone.strip() else None
            if e164:
                waiting.setdefault(e164, contact_id)
    seeds: dict[str, LinkRow] = {}
    for read in reads:
        raw = read.record.values.get("phone")
        e164 = ctx.phone(raw.strip()) if isinstance(raw, str) and raw.strip() else None
        ours = waiting.pop(e164, None) if e164 else None
        if ours is None or read.record.id in links:
            continue
        sobject = read.record.sobject.value
        seeds[read.record.id] = LinkRow(ours, sobject, read.record.id, {})
    sync_links.insert_many(session, ctx.account_id, list(seeds.values()), ctx.at)
    return seeds


def _flush_log(session: Session, ctx: BatchContext) -> None:
    """Write the batch's log rows in its transaction."""
    sync_log.add_entries(session, ctx.account_id, ctx.entries, ctx.at)
    ctx.entries.clear()


__all__ = ["InboundOptions", "read_start", "reread", "run_object", "stored_form", "take_echoes"]
