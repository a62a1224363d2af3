"""Load what planning needs from the store: contact states and link states, as plain values."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.activities import stats_from_row
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import view_of
from ringsync.mapping.catalog import SyncObject
from ringsync.store.repositories import sync_reads
from ringsync.store.repositories.sync_links import LinkRow
from ringsync.store.tables import Contact
from ringsync.sync.plan import ContactState, LinkState

CONTACT_ID = "contact_id"
CONTACT_LINK = "contact_link"


def contact_link_url(base_url: str | None, contact_id: int) -> str | None:
    """Return the URL of a contact's page in ringsync, when a public base URL is configured."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/contacts/{contact_id}"


def contact_state(
    contact: Contact, stats: Mapping[str, Any] | None, link_base_url: str | None
) -> ContactState:
    """Build a contact's state: its values, tracking stats, ids, change times, explicit edits."""
    view = view_of(contact)
    values: dict[str, object] = dict(view.values)
    values.update(stats_from_row(dict(stats) if stats is not None else None).values())
    values[CONTACT_ID] = str(contact.id)
    link = contact_link_url(link_base_url, contact.id)
    if link is not None:
        values[CONTACT_LINK] = link
    changed_at: dict[str, datetime] = {}
    explicit: set[str] = set()
    for prop, provenance in view.provenance.items():
        changed_at[prop] = provenance.written_at
        if provenance.origin is Origin.RINGSYNC:
            explicit.add(prop)
    return ContactState(str(contact.id), values, changed_at, frozenset(explicit))


def load_states(
    session: Session,
    account_id: int,
    contacts: Collection[Contact],
    link_base_url: str | None,
) -> dict[str, ContactState]:
    """Build the states of ``contacts`` with their tracking stats (one query for the stats)."""
    stats = sync_reads.stats_rows(session, account_id, [c.id for c in contacts])
    return {str(c.id): contact_state(c, stats.get(c.id), link_base_url) for c in contacts}


def link_state(link: LinkRow) -> LinkState:
    """Turn a stored link into the planner's link state."""
    return LinkState(
        str(link.contact_id),
        SyncObject(link.sobject),
        link.record_id,
        dict(link.base),
        link.fingerprint,
    )


__all__ = [
    "CONTACT_ID",
    "CONTACT_LINK",
    "contact_link_url",
    "contact_state",
    "link_state",
    "load_states",
]
