"""``/api/v1/admin/contacts/{id}/provenance``: who last wrote each field of a contact, and when.

Each property shows the side that wrote it (ringsync or Salesforce), the time, and the previous
value (phone numbers masked when the provenance was recorded), plus the linked Salesforce
record and its URL when the account is connected.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ringsync.domain.contacts import get_contact
from ringsync.store.repositories import connections as connection_repo
from ringsync.store.repositories import sync_links
from ringsync.web.api.admin_schemas import IdPath
from ringsync.web.deps import CurrentAdmin, ReadSessionDep

router = APIRouter(tags=["admin: provenance"])


class FieldProvenanceOut(BaseModel):
    """Who last wrote one property, when, and what it held before (masked for phones)."""

    side: str
    at: datetime
    previous: str | None


class SalesforceLinkOut(BaseModel):
    """The Salesforce record a contact is linked to."""

    object: str
    record_id: str
    url: str | None
    last_synced_at: datetime | None


class ProvenanceOut(BaseModel):
    """A contact's per-field provenance and its Salesforce link (null when not linked)."""

    contact_id: int
    fields: dict[str, FieldProvenanceOut]
    salesforce: SalesforceLinkOut | None


@router.get("/contacts/{contact_id}/provenance", response_model=ProvenanceOut)
def provenance(contact_id: IdPath, admin: CurrentAdmin, session: ReadSessionDep) -> ProvenanceOut:
    """Return who last wrote each field of the contact, and its Salesforce link."""
    contact = get_contact(session, admin.account_id, contact_id)
    fields = {
        prop: FieldProvenanceOut(side=p.origin.value, at=p.written_at, previous=p.previous)
        for prop, p in sorted(contact.provenance.items())
    }
    link = sync_links.by_contacts(session, admin.account_id, [contact_id]).get(contact_id)
    salesforce = None
    if link is not None:
        connection = connection_repo.get(session, admin.account_id)
        base = connection.instance_url if connection is not None else None
        salesforce = SalesforceLinkOut(
            object=link.sobject,
            record_id=link.record_id,
            url=f"{base.rstrip('/')}/{link.record_id}" if base else None,
            last_synced_at=link.last_synced_at,
        )
    return ProvenanceOut(contact_id=contact_id, fields=fields, salesforce=salesforce)


__all__ = ["router"]
