"""One contact's page: its values, its Salesforce record, and who last wrote each field.

Agents and admins of the account may open it; another account's contact answers 404, exactly
like a contact that does not exist. Phone numbers in provenance are masked when stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ringsync.domain.connections import get_connection
from ringsync.domain.contacts import ContactView, get_contact
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import NotFoundError
from ringsync.mapping.catalog import SyncObject
from ringsync.store.repositories import sync_links
from ringsync.web.admin.page_kit import PageKit
from ringsync.web.admin.settings_view import DIRECTION_LABELS
from ringsync.web.deps import ContextDep, Principal

ORIGIN_LABELS = {"salesforce": "Salesforce", "ringsync": "ringsync"}
MAX_ID_DIGITS = 18


@dataclass(frozen=True)
class FieldLine:
    """One mapped property of the contact with its Salesforce field and provenance."""

    prop: str
    label: str
    salesforce_field: str
    direction: str
    value: Any
    origin: str | None
    written_at: datetime | None
    previous: str | None


@dataclass(frozen=True)
class ContactPage:
    """Everything the contact page shows."""

    contact: ContactView
    sobject: str | None
    record_id: str | None
    last_synced_at: datetime | None
    record_url: str | None
    lines: tuple[FieldLine, ...]


def record_url(instance_url: str | None, record_id: str | None) -> str | None:
    """Return the Lightning address of a record, when the org's address is known."""
    if not instance_url or not record_id:
        return None
    return f"{instance_url.rstrip('/')}/{record_id}"


def contact_page_view(session: Session, account_id: int, contact_id: int) -> ContactPage:
    """Read the contact, its link and the mapping of its object (the priority one if unlinked)."""
    contact = get_contact(session, account_id, contact_id)
    connection = get_connection(session, account_id)
    instance_url = connection.instance_url if connection is not None else None
    link = sync_links.by_contacts(session, account_id, [contact_id]).get(contact_id)
    settings = active_settings(session, account_id)
    obj = SyncObject(link.sobject) if link is not None else settings.objects()[0]
    lines = []
    for row in settings.mappings_for(obj):
        prov = contact.provenance.get(row.ringsync_property)
        lines.append(
            FieldLine(
                prop=row.ringsync_property,
                label=row.label or row.ringsync_property,
                salesforce_field=row.salesforce_field,
                direction=DIRECTION_LABELS.get(row.direction.value, row.direction.value),
                value=contact.values.get(row.ringsync_property),
                origin=ORIGIN_LABELS.get(prov.origin.value) if prov else None,
                written_at=prov.written_at if prov else None,
                previous=prov.previous if prov else None,
            )
        )
    return ContactPage(
        contact=contact,
        sobject=link.sobject if link else None,
        record_id=link.record_id if link else None,
        last_synced_at=link.last_synced_at if link else None,
        record_url=record_url(instance_url, link.record_id if link else None),
        lines=tuple(lines),
    )


def contact_router(kit: PageKit) -> APIRouter:
    """Return the route of the contact page."""
    router = APIRouter(include_in_schema=False)

    @router.get("/contacts/{contact_id}", response_class=HTMLResponse)
    def contact_page(contact_id: str, request: Request, ctx: ContextDep) -> Response:
        principal = kit.signed_in(ctx, request)
        if not isinstance(principal, Principal):
            return principal
        missing = "This contact does not exist in your account."
        if not contact_id.isdigit() or len(contact_id) > MAX_ID_DIGITS:
            return kit.error_page(request, 404, missing, "Not found")
        try:
            with ctx.database.read() as session:
                view = contact_page_view(session, principal.account_id, int(contact_id))
        except NotFoundError:
            return kit.error_page(request, 404, missing, "Not found")
        context = kit.page_context(ctx, principal, "Contact")
        context["page"] = view
        return kit.render(request, "contact.html", context)

    return router


__all__ = ["ContactPage", "FieldLine", "contact_page_view", "contact_router", "record_url"]
