"""Push contacts: send ringsync contacts to Salesforce now, through the sync engine.

Allowed only when the create or the update direction is ``both`` (refused with the reason
otherwise): unlinked contacts are created, as the priority object, only when creates go both
ways; linked contacts are updated only when updates go both ways. Steps:

1. ``enqueue``: in batches of contacts (by id), write one outbox row per contact that may be
   sent, naming every outbound-mapped property; each batch commits with the cursor;
2. ``send``: run the engine's outbound pass until the outbox is drained. The engine sends only
   values that differ from the last synced ones, looks for an existing record by phone before
   creating, and settles every row (sent, skipped with a reason, failed and retryable), so a
   crash and a resume never create a record twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.accounts import get_account
from ringsync.domain.phones import mask
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import FatalSyncError
from ringsync.operations.handler import Applied, Batch, OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
)
from ringsync.store.repositories import contacts as contacts_repo
from ringsync.store.repositories import outbox, sync_links, sync_reads
from ringsync.sync.config import SyncDirection, SyncSettings
from ringsync.sync.engine import RunSummary
from ringsync.sync.priority import create_object
from ringsync.sync.states import load_states

ENQUEUE_BATCH = 1000
PREVIEW_ITEMS = 500
CREATE = "create"
UPDATE = "update"
SKIP = "skip"
ORIGIN = "operation"


def creates_allowed(settings: SyncSettings) -> bool:
    """Tell whether ringsync may create records in Salesforce."""
    return settings.create_direction is SyncDirection.BOTH


def updates_allowed(settings: SyncSettings) -> bool:
    """Tell whether ringsync may update records in Salesforce."""
    return settings.update_direction is SyncDirection.BOTH


def push_refusal(settings: SyncSettings) -> str | None:
    """Return why a push may not run with these settings, or None when it may."""
    if creates_allowed(settings) or updates_allowed(settings):
        return None
    return (
        "push is not allowed: both the create and the update direction are inbound "
        "(Salesforce -> ringsync); set one of them to both to send contacts to Salesforce"
    )


def outbound_properties(settings: SyncSettings) -> list[str]:
    """Return every property some synced object's mapping may write to Salesforce."""
    names = {
        row.ringsync_property
        for obj in settings.objects()
        for row in settings.mappings_for(obj)
        if row.direction.outbound
    }
    return sorted(names)


def fields_to_send(properties: list[str], values: Mapping[str, object], linked: bool) -> list[str]:
    """Return the properties to name in a contact's outbox row.

    A create names every outbound property (the engine sends the non-blank ones). An update
    names those the contact has a value for: a push sends ringsync's values, it does not blank
    out Salesforce's (clearing a field travels with the edit that cleared it).
    """
    if not linked:
        return properties
    return [p for p in properties if values.get(p) not in (None, "")]


def decide(settings: SyncSettings, contact_id: int, label: str, link: Any) -> PlannedItem:
    """Say what a push does with one contact: create, update, or skip (with the reason)."""
    target = f"contact:{contact_id}"
    if link is None:
        if not creates_allowed(settings):
            return PlannedItem(SKIP, target, label, "create direction is inbound")
        obj = create_object(settings.object_mode, settings.priority).value
        return PlannedItem(CREATE, target, label, f"created as a {obj}", {"sobject": obj})
    if not updates_allowed(settings):
        return PlannedItem(SKIP, target, label, "update direction is inbound")
    detail = {"sobject": link.sobject, "record_id": link.record_id}
    reason = "changed values only; nothing is sent when all match the last sync"
    return PlannedItem(UPDATE, target, label, reason, detail)


def send_batch(env: OperationEnv, account_id: int) -> Batch:
    """Run one engine outbound pass; say whether the outbox still holds pending rows."""
    summary = env.sync_engine().run_outbound(account_id)
    if summary.error:
        raise FatalSyncError(f"the outbound pass failed: {summary.error}", account_id=account_id)
    with env.database.read() as session:
        pending = outbox.list_rows(session, account_id, status=outbox.PENDING)
    claimed = sum(summary.totals.values())
    last = not pending or claimed == 0
    return Batch(summary, {"step": "done" if last else "send"}, last=last)


def record_send(summary: RunSummary) -> Applied:
    """Return what one outbound pass did, as an item and tallies."""
    item = PlannedItem(
        "engine_run",
        f"run:{summary.run_id}",
        "outbound",
        summary.error or f"outbound run {summary.status.value}",
        {"totals": dict(summary.totals)},
    )
    return Applied([item], dict(summary.totals), done=0)


class PushHandler:
    """Send every contact Salesforce may receive, as the settings allow."""

    kind = OperationKind.PUSH_CONTACTS

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """Refuse when no direction lets ringsync write to Salesforce, or on any parameter."""
        get_account(session, account_id)
        if params:
            raise OperationRefusedError(f"push_contacts takes no parameter {sorted(params)[0]!r}")
        refusal = push_refusal(active_settings(session, account_id))
        if refusal is not None:
            raise OperationRefusedError(refusal, account_id=account_id)

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """List what each contact would get (the first few hundred of each kind; all counted)."""
        del params
        items: list[PlannedItem] = []
        tallies: dict[str, int] = {}
        listed: dict[str, int] = {}
        with env.database.read() as session:
            settings = active_settings(session, account_id)
            properties = outbound_properties(settings)
            after = 0
            while page := contacts_repo.list_page(
                session, account_id, after_id=after, limit=ENQUEUE_BATCH
            ):
                links = sync_links.by_contacts(session, account_id, [c.id for c in page])
                states = load_states(session, account_id, page, None)
                for contact in page:
                    link = links.get(contact.id)
                    item = decide(settings, contact.id, mask(contact.phone), link)
                    if item.action != SKIP:
                        values = states[str(contact.id)].values
                        fields = fields_to_send(properties, values, link is not None)
                        item = replace(item, detail={**item.detail, "fields": fields})
                    if listed.get(item.action, 0) < PREVIEW_ITEMS:
                        listed[item.action] = listed.get(item.action, 0) + 1
                        items.append(item)
                    else:
                        tallies[item.action] = tallies.get(item.action, 0) + 1
                after = page[-1].id
        counts = {**listed}
        for k, n in tallies.items():
            counts[k] = counts.get(k, 0) + n
        calls = -(-counts.get(CREATE, 0) // 200) * 2 + -(-counts.get(UPDATE, 0) // 200)
        return Preview(
            self.kind,
            account_id,
            tuple(items),
            api_calls=calls + len(settings.objects()),
            notes=("creating records in Salesforce from ringsync is allowed but not recommended",),
            tallies=tallies,
        )

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Read the next contacts to enqueue, or run one outbound pass."""
        cursor = operation.cursor or {"step": "enqueue", "after": 0}
        if cursor["step"] == "enqueue":
            with env.database.read() as session:
                page = contacts_repo.list_page(
                    session, operation.account_id, after_id=cursor["after"], limit=ENQUEUE_BATCH
                )
            if page:
                ids = tuple(c.id for c in page)
                return Batch(ids, {"step": "enqueue", "after": ids[-1]})
            cursor = {"step": "send"}
        if cursor["step"] == "send":
            return send_batch(env, operation.account_id)
        return None

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Applied:
        """Write the outbox rows of one batch of contacts, or record an outbound pass."""
        if isinstance(batch.payload, RunSummary):
            return record_send(batch.payload)
        settings = active_settings(session, operation.account_id)
        properties = outbound_properties(settings)
        links = sync_links.by_contacts(session, operation.account_id, batch.payload)
        contacts = sync_reads.contacts_by_ids(session, operation.account_id, batch.payload)
        states = load_states(session, operation.account_id, contacts, None)
        now = env.clock.now()
        tallies: dict[str, int] = {}
        rows = []
        for contact_id in batch.payload:
            item = decide(settings, contact_id, "", links.get(contact_id))
            key = "queued" if item.action != SKIP else "skipped_by_direction"
            tallies[key] = tallies.get(key, 0) + 1
            state = states.get(str(contact_id))
            if item.action != SKIP and state is not None:
                values = state.values
                rows.append(
                    {
                        "account_id": operation.account_id,
                        "contact_id": contact_id,
                        "fields": fields_to_send(properties, values, contact_id in links),
                        "origin": ORIGIN,
                        "created_at": now,
                        "attempts": 0,
                        "status": outbox.PENDING,
                    }
                )
        outbox.add_many(session, rows)
        return Applied((), tallies, done=len(batch.payload))


__all__ = [
    "PushHandler",
    "creates_allowed",
    "decide",
    "fields_to_send",
    "outbound_properties",
    "push_refusal",
    "record_send",
    "send_batch",
    "updates_allowed",
]
