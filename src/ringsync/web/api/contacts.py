"""``/api/v1/contacts``: create, change, read, find by phone, and page through contacts.

Writes made here are ours (origin ``ringsync``): each one writes an outbox row in the same
transaction, and after the commit the runner is woken so the change reaches Salesforce soon.
Pages are ordered by id; ``next_cursor`` is opaque and is passed back as ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    find_contact_by_phone,
    get_contact,
    list_contacts,
    update_contact,
)
from ringsync.errors import Problem, ValidationError
from ringsync.web.api.schemas import ContactOut
from ringsync.web.deps import ApiAccount, ContextDep

router = APIRouter(tags=["contacts"])

_CURSOR_TAG = "after:"
MAX_PAGE = 200

Properties = Annotated[
    dict[str, Any],
    Body(
        description="Contact properties by name, e.g. phone, first_name, last_name, company.",
        examples=[{"phone": "+1 415 555 0100", "first_name": "Ada", "company": "Acme"}],
    ),
]


class ContactPage(BaseModel):
    """One page of contacts and the cursor of the next page (null at the end)."""

    items: list[ContactOut]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    """Return the opaque cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor continues after, or raise a validation error."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_TAG)
    if not text.startswith(_CURSOR_TAG) or not number.isdigit():
        raise ValidationError(
            "the cursor is not valid",
            [Problem("cursor", "pass back a next_cursor value unchanged", "bad_cursor")],
        )
    return int(number)


@router.post("/contacts", status_code=201, response_model=ContactOut)
def post_contact(values: Properties, caller: ApiAccount, ctx: ContextDep) -> ContactOut:
    """Create a contact (phone required, unique in the account)."""
    with ctx.database.write() as session:
        change = create_contact(session, caller.account_id, values, clock=ctx.clock)
    ctx.wake(caller.account_id)
    return ContactOut.of(change.contact)


@router.get("/contacts", response_model=ContactPage)
def get_contacts(
    caller: ApiAccount,
    ctx: ContextDep,
    phone: Annotated[str | None, Query(max_length=64, description="Find by phone")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> ContactPage:
    """List contacts by id, or find the one whose phone matches ``phone`` in any format."""
    with ctx.database.read() as session:
        if phone is not None:
            found = find_contact_by_phone(session, caller.account_id, phone)
            items = [] if found is None else [ContactOut.of(found)]
            return ContactPage(items=items, next_cursor=None)
        after = decode_cursor(cursor) if cursor else 0
        page = list_contacts(session, caller.account_id, after_id=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1].id) if more else None
    return ContactPage(items=[ContactOut.of(c) for c in page], next_cursor=next_cursor)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_one_contact(contact_id: int, caller: ApiAccount, ctx: ContextDep) -> ContactOut:
    """Return one contact of the account."""
    with ctx.database.read() as session:
        return ContactOut.of(get_contact(session, caller.account_id, contact_id))


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def patch_contact(
    contact_id: int, changes: Properties, caller: ApiAccount, ctx: ContextDep
) -> ContactOut:
    """Change some properties of a contact; a property set to null is cleared."""
    with ctx.database.write() as session:
        change = update_contact(
            session, caller.account_id, contact_id, changes, origin=Origin.RINGSYNC, clock=ctx.clock
        )
    if change.outbox_id is not None:
        ctx.wake(caller.account_id)
    return ContactOut.of(change.contact)
