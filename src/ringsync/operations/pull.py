"""Pull contacts/leads: read Salesforce now, through the sync engine, and charge LRN lookups.

Steps (the resume cursor names the next one):

1. ``reset`` (a full pull, the default): forget the engine's read cursors of the synced objects
   so every record is read again (Bulk API 2.0 above the engine's threshold); deletion windows
   are kept. ``{"full": false}`` skips this and reads only what changed since the last sync.
2. ``read``: run the engine's inbound pass for every synced object (priority object first);
   it applies records batch by batch with its own cursor, so a crash resumes where it stopped
   and a re-read record whose values did not change does nothing.
3. ``lrn``: every new phone number the pass created a contact for (inbound runs since the
   operation started) is looked up once with the LRN provider (charged), in batches whose
   cursor is the last number done. Each batch is one keyset query (numbers above the cursor,
   in order, 50 at a time), so a batch costs the same at 300 numbers as at 100,000, and a
   resumed step starts after the last committed number: none is charged twice. Without a
   provider the numbers are only counted (``lrn_not_configured``).

The preview reads only the records' phone numbers and estimates the lookups the pull would
charge at the account's price (see :func:`ringsync.operations.lrn.estimate_pull`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.domain.accounts import get_account
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import FatalSyncError
from ringsync.operations.handler import Applied, Batch, OperationEnv
from ringsync.operations.lrn import estimate_pull
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
)
from ringsync.store import sync_tables
from ringsync.store.repositories import sync_state
from ringsync.store.repositories.sync_log import LogAction
from ringsync.store.tables import Contact
from ringsync.sync.engine import RunSummary
from ringsync.sync.inbound_apply import INBOUND

LRN_LOOKUPS = "lrn_lookups"
LRN_NOT_CONFIGURED = "lrn_not_configured"
LRN_BATCH = 50


@dataclass(frozen=True)
class _Lookups:
    """The new numbers of one LRN batch, and whether a provider looked them up."""

    numbers: tuple[str, ...]
    looked_up: bool


def _full(params: Mapping[str, Any]) -> bool:
    value = params.get("full", True)
    if not isinstance(value, bool):
        raise OperationRefusedError("full must be true or false")
    return value


def _run_item(summary: RunSummary) -> PlannedItem:
    reason = summary.error or f"{summary.direction} run {summary.status.value}"
    return PlannedItem(
        "engine_run",
        f"run:{summary.run_id}",
        f"{summary.direction} {summary.sobject or ''}".strip(),
        reason,
        {"totals": dict(summary.totals)},
    )


def new_contact_numbers(
    session: Session, account_id: int, since: datetime, *, after: str = "", limit: int | None = None
) -> list[str]:
    """Return the distinct numbers above ``after`` of contacts inbound runs created since ``since``.

    One keyset query, in phone order: the contacts' ``(account, phone)`` index gives the order
    and the sync log's ``(account, contact)`` index tells which of them a run created, so the
    cost follows ``limit``, not how many numbers the pull created.
    """
    log, runs = sync_tables.sync_log.c, sync_tables.sync_runs.c
    created_by_inbound = (
        select(log.id)
        .join(sync_tables.sync_runs, runs.id == log.run_id)
        .where(
            log.account_id == account_id,
            log.contact_id == Contact.id,
            log.action == LogAction.CREATED.value,
            runs.direction == INBOUND,
            runs.started_at >= since,
        )
        .exists()
    )
    stmt = (
        select(Contact.phone)
        .where(Contact.account_id == account_id, Contact.phone > after, created_by_inbound)
        .distinct()
        .order_by(Contact.phone)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


class PullHandler:
    """Pull Salesforce records into ringsync now, with the LRN estimate shown first."""

    kind = OperationKind.PULL_CONTACTS

    def __init__(self, *, lrn_batch: int = LRN_BATCH) -> None:
        """Look up at most ``lrn_batch`` new numbers per batch of the LRN step."""
        if lrn_batch < 1:
            raise ValueError("lrn_batch must be at least 1")
        self.lrn_batch = lrn_batch

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """The account must exist; the only parameter is ``full`` (true by default)."""
        get_account(session, account_id)
        unknown = sorted(set(params) - {"full"})
        if unknown:
            raise OperationRefusedError(f"pull_contacts takes no parameter {unknown[0]!r}")
        _full(params)

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Count what the pull would read and the new numbers it would look up; write nothing."""
        with env.database.read() as session:
            settings = active_settings(session, account_id)
            estimate = estimate_pull(env.salesforce, session, account_id, settings)
        objects = ", ".join(o.value for o in settings.objects())
        items = (
            PlannedItem(
                "objects",
                f"objects:{objects}",
                objects,
                f"{estimate.records_read} record(s) with a phone number",
                {"records": estimate.records_read, "new_numbers": estimate.lookups},
            ),
        )
        notes = [
            f"{estimate.lookups} new phone number(s): {estimate.lookups} LRN lookup(s) at "
            f"{estimate.price_per_lookup} each = {estimate.cost}"
        ]
        if not _full(params):
            notes.append("incremental: only records changed since the last sync are read")
        return Preview(
            self.kind,
            account_id,
            items,
            api_calls=estimate.api_calls,
            lrn_lookups=estimate.lookups,
            lrn_cost=estimate.cost,
            notes=tuple(notes),
            tallies={"records": estimate.records_read, "new_numbers": estimate.lookups},
        )

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Reset the cursors, run the engine's inbound pass, or look up the next new numbers."""
        cursor = operation.cursor or {"step": "reset"}
        if cursor["step"] == "reset":
            return Batch(None, {"step": "read"})
        if cursor["step"] == "read":
            engine = env.sync_engine()
            stop = env.cancel_requested(operation)
            report = env.progress_reporter(operation)
            summaries = tuple(
                engine.run_inbound(operation.account_id, should_stop=stop, on_progress=report)
            )
            failed = [s for s in summaries if s.error]
            if failed:
                raise FatalSyncError(
                    f"the inbound pass of {failed[0].sobject} failed: {failed[0].error}",
                    account_id=operation.account_id,
                )
            return Batch(summaries, {"step": "lrn", "after": ""})
        if cursor["step"] != "lrn" or operation.started_at is None:
            return None
        with env.database.read() as session:
            todo = new_contact_numbers(
                session,
                operation.account_id,
                operation.started_at,
                after=cursor["after"],
                limit=self.lrn_batch + 1,  # one more says whether another batch follows
            )
        if not todo:
            return None
        chunk = todo[: self.lrn_batch]
        if env.lrn is not None:
            for number in chunk:
                env.lrn.lookup(number)  # charged; committed with the cursor right after
        last = len(todo) <= self.lrn_batch
        payload = _Lookups(tuple(chunk), looked_up=env.lrn is not None)
        return Batch(payload, {"step": "lrn", "after": chunk[-1]}, last=last)

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Applied:
        """Reset the read cursors, record the engine's pass, or count the lookups made."""
        if batch.payload is None:
            if _full(operation.params):
                settings = active_settings(session, operation.account_id)
                for obj in settings.objects():
                    old = sync_state.get_cursor(session, operation.account_id, obj.value)
                    fresh = sync_state.Cursor(obj.value, deleted_until=old.deleted_until)
                    sync_state.save_cursor(session, operation.account_id, fresh, env.clock.now())
            return Applied()
        if isinstance(batch.payload, _Lookups):
            key = LRN_LOOKUPS if batch.payload.looked_up else LRN_NOT_CONFIGURED
            return Applied((), {key: len(batch.payload.numbers)}, done=0)
        summaries: tuple[RunSummary, ...] = batch.payload
        tallies: dict[str, int] = {LRN_LOOKUPS: 0}
        for summary in summaries:
            for name, n in summary.totals.items():
                tallies[name] = tallies.get(name, 0) + n
        items = [_run_item(s) for s in summaries]
        return Applied(items, tallies, done=tallies.get("read", 0))


__all__ = ["LRN_LOOKUPS", "LRN_NOT_CONFIGURED", "PullHandler", "new_contact_numbers"]
