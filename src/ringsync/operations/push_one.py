"""Push one contact (the contact page's Push button): create or update it in Salesforce now.

An unlinked contact is created as the priority object (with Leads as the priority, only a Lead
is created); a linked one is updated. The same directions as a push apply, checked for this
contact: creating needs the create direction ``both``, updating the update direction ``both``.
The result names the record the contact is linked to afterwards. The engine's outbound pass
sends the whole outbox, so changes other contacts had queued go out in the same pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.phones import mask
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import NotFoundError
from ringsync.operations.handler import Applied, Batch, OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
)
from ringsync.operations.push import (
    ORIGIN,
    SKIP,
    decide,
    fields_to_send,
    outbound_properties,
    record_send,
    send_batch,
)
from ringsync.store.repositories import contacts as contacts_repo
from ringsync.store.repositories import outbox, sync_links, sync_reads
from ringsync.sync.engine import RunSummary
from ringsync.sync.states import load_states


def _contact_id(params: Mapping[str, Any]) -> int:
    value = params.get("contact_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise OperationRefusedError("push_one needs contact_id, the id of one contact")
    return value


def _plan(session: Session, account_id: int, contact_id: int) -> PlannedItem:
    contact = contacts_repo.get(session, account_id, contact_id)
    if contact is None:
        raise NotFoundError(f"contact {contact_id} does not exist", account_id=account_id)
    link = sync_links.by_contacts(session, account_id, [contact_id]).get(contact_id)
    return decide(active_settings(session, account_id), contact_id, mask(contact.phone), link)


class PushOneHandler:
    """Create or update one contact in Salesforce now, as the priority object."""

    kind = OperationKind.PUSH_ONE

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """The contact must exist and the direction for what it needs must be ``both``."""
        unknown = sorted(set(params) - {"contact_id"})
        if unknown:
            raise OperationRefusedError(f"push_one takes no parameter {unknown[0]!r}")
        item = _plan(session, account_id, _contact_id(params))
        if item.action == SKIP:
            raise OperationRefusedError(
                f"contact {_contact_id(params)} cannot be pushed: {item.reason}",
                account_id=account_id,
            )

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Say whether the contact would be created (as which object) or updated."""
        with env.database.read() as session:
            item = _plan(session, account_id, _contact_id(params))
        return Preview(self.kind, account_id, (item,), api_calls=2)

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Queue the contact first, then run outbound passes until the outbox is drained."""
        step = (operation.cursor or {"step": "enqueue"})["step"]
        if step == "enqueue":
            return Batch(_contact_id(operation.params), {"step": "send"})
        if step == "send":
            return send_batch(env, operation.account_id)
        return None

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Applied:
        """Write the contact's outbox row, or record the pass and where the contact ended up."""
        account_id = operation.account_id
        if isinstance(batch.payload, RunSummary):
            applied = record_send(batch.payload)
            if not batch.last:
                return applied
            contact_id = _contact_id(operation.params)
            link = sync_links.by_contacts(session, account_id, [contact_id]).get(contact_id)
            if link is None:
                result = PlannedItem("not_linked", f"contact:{contact_id}", "", "see the sync log")
            else:
                result = PlannedItem(
                    "linked",
                    f"contact:{contact_id}",
                    link.record_id,
                    f"linked to {link.sobject} {link.record_id}",
                    {"sobject": link.sobject, "record_id": link.record_id},
                )
            return Applied([*applied.items, result], applied.tallies, done=1)
        settings = active_settings(session, account_id)
        queued: int = batch.payload
        linked = bool(sync_links.by_contacts(session, account_id, [queued]))
        contacts = sync_reads.contacts_by_ids(session, account_id, [queued])
        state = load_states(session, account_id, contacts, None).get(str(queued))
        values = state.values if state is not None else {}
        fields = fields_to_send(outbound_properties(settings), values, linked)
        outbox.add(session, account_id, queued, fields, ORIGIN, env.clock.now())
        return Applied((), {"queued": 1}, done=0)


__all__ = ["PushOneHandler"]
