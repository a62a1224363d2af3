"""Contacts: create and change them, recording provenance and an outbox row in one transaction.

Every change made on our side (origin ``ringsync``) writes one outbox row naming the changed
properties, in the caller's transaction. A change whose origin is ``salesforce`` writes none:
it came from Salesforce and must never be echoed back. Each changed property's provenance
records which side wrote it, when, and the previous value (phone numbers masked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.domain.contact_values import (
    READ_ONLY,
    STANDARD_PROPERTIES,
    CustomType,
    Known,
    Origin,
    clean_values,
    column_of,
    masked_previous,
)
from ringsync.domain.phones import mask, normalize
from ringsync.domain.tracking import same_value
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import accounts as account_repo
from ringsync.store.repositories import contacts as repo
from ringsync.store.repositories import dispositions as dispositions_repo
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import users as users_repo
from ringsync.store.tables import Contact, CustomPropertyDef


@dataclass(frozen=True)
class Provenance:
    """Who last wrote one property of one contact, when, and what it held before."""

    origin: Origin
    written_at: datetime
    previous: str | None


@dataclass(frozen=True)
class ContactView:
    """A contact as callers see it: standard and custom values, version and provenance."""

    id: int
    account_id: int
    values: Mapping[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    provenance: Mapping[str, Provenance] = field(default_factory=dict)

    @property
    def phone(self) -> str:
        """Return the E.164 phone number."""
        return str(self.values["phone"])

    @property
    def extension(self) -> str:
        """Return the extension ("" when none)."""
        return str(self.values.get("extension") or "")


@dataclass(frozen=True)
class ContactChange:
    """The outcome of a create or update: the contact, what changed, and the outbox row."""

    contact: ContactView
    changed: tuple[str, ...]
    outbox_id: int | None
    created: bool = False


def provenance_entry(origin: Origin, at: datetime, previous: str | None) -> dict[str, Any]:
    """Build the JSON stored for one property's provenance."""
    return {"origin": origin.value, "at": at.isoformat(), "previous": previous}


def view_of(contact: Contact) -> ContactView:
    """Turn a stored contact into the view callers get."""
    values = {prop: getattr(contact, column_of(prop)) for prop in STANDARD_PROPERTIES}
    values.update(contact.custom_values or {})
    provenance = {
        prop: Provenance(
            Origin(entry["origin"]), datetime.fromisoformat(entry["at"]), entry["previous"]
        )
        for prop, entry in (contact.provenance or {}).items()
    }
    return ContactView(
        id=contact.id,
        account_id=contact.account_id,
        values=values,
        version=contact.version,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        provenance=provenance,
    )


def _existing_id(value: Any, lookup: Callable[[int], object | None]) -> set[int] | None:
    """Return {id} when ``value`` names an existing row, an empty set when not, None if no id."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        return None
    return {int(value)} if lookup(int(value)) is not None else set()


def known_for(session: Session, account_id: int, values: Mapping[str, Any]) -> Known:
    """Load what ``values`` may refer to: the region, and only the references it uses."""
    account = account_repo.get(session, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
    user_ids = _existing_id(values.get("owner"), lambda i: users_repo.get(session, account_id, i))
    disposition_ids = _existing_id(
        values.get("disposition_id"), lambda i: dispositions_repo.get(session, account_id, i)
    )
    custom = {name: d.value_type for name, d in repo.custom_defs(session, account_id).items()}
    return Known(account.default_region, user_ids, disposition_ids, custom)


def _raise(problems: list[Problem], message: str, account_id: int) -> None:
    if problems:
        raise ValidationError(message, problems, account_id=account_id)


def _set(contact: Contact, prop: str, value: Any, custom: dict[str, Any]) -> None:
    if prop in STANDARD_PROPERTIES:
        setattr(contact, column_of(prop), value)
    else:
        custom[prop] = value


def create_contact(
    session: Session,
    account_id: int,
    values: Mapping[str, Any],
    *,
    origin: Origin = Origin.RINGSYNC,
    clock: Clock | None = None,
) -> ContactChange:
    """Create a contact (phone required and unique in the account) and record its origin."""
    known = known_for(session, account_id, values)
    clean, problems = clean_values(values, known)
    if "phone" not in values:
        problems.append(Problem("phone", "phone is required", "required"))
    phone, extension = clean.get("phone"), clean.get("extension") or ""
    if phone and repo.by_identity(session, account_id, phone, extension) is not None:
        problems.append(Problem("phone", f"another contact has phone {mask(phone)}", "taken"))
    _raise(problems, "the contact cannot be created", account_id)
    now = (clock or SystemClock()).now()
    contact = Contact(account_id=account_id, phone=phone, extension=extension, created_at=now)
    contact.updated_at, contact.version, contact.dnc, contact.tcpa_approved = now, 1, False, False
    custom: dict[str, Any] = {}
    written = sorted(p for p, v in clean.items() if v not in (None, "", False) or p == "phone")
    for prop in clean:
        _set(contact, prop, clean[prop], custom)
    contact.custom_values = custom
    contact.provenance = {p: provenance_entry(origin, now, None) for p in written}
    repo.add(session, contact)
    outbox_id = None
    if origin is Origin.RINGSYNC:
        outbox_id = outbox_repo.add(session, account_id, contact.id, written, origin.value, now)
    return ContactChange(view_of(contact), tuple(written), outbox_id, created=True)


def _load(session: Session, account_id: int, contact_id: int, *, lock: bool = False) -> Contact:
    contact = repo.get(session, account_id, contact_id, for_update=lock)
    if contact is None:
        raise NotFoundError(f"contact {contact_id} does not exist", account_id=account_id)
    return contact


def update_contact(
    session: Session,
    account_id: int,
    contact_id: int,
    changes: Mapping[str, Any],
    *,
    origin: Origin,
    clock: Clock | None = None,
    known: Known | None = None,
) -> ContactChange:
    """Apply changes; bump the version, record provenance, and (ours only) write an outbox row.

    A batch caller passes ``known`` (loaded once for its batch) to save the look-ups.
    """
    known = known or known_for(session, account_id, changes)
    clean, problems = clean_values(changes, known)
    contact = _load(session, account_id, contact_id, lock=True)
    current = view_of(contact)
    changed = sorted(p for p, v in clean.items() if not same_value(current.values.get(p), v))
    phone = clean.get("phone", contact.phone)
    extension = clean.get("extension", contact.extension)
    if {"phone", "extension"} & set(changed):
        other = repo.by_identity(session, account_id, phone, extension)
        if other is not None and other.id != contact.id:
            problems.append(Problem("phone", f"another contact has phone {mask(phone)}", "taken"))
    _raise(problems, "the contact cannot be changed", account_id)
    if not changed:
        return ContactChange(current, (), None)
    now = (clock or SystemClock()).now()
    custom = dict(contact.custom_values or {})
    provenance = dict(contact.provenance or {})
    for prop in changed:
        previous = masked_previous(prop, current.values.get(prop))
        _set(contact, prop, clean[prop], custom)
        provenance[prop] = provenance_entry(origin, now, previous)
    contact.custom_values, contact.provenance = custom, provenance
    contact.version += 1
    contact.updated_at = now
    session.flush()
    outbox_id = None
    if origin is Origin.RINGSYNC:
        outbox_id = outbox_repo.add(session, account_id, contact.id, changed, origin.value, now)
    return ContactChange(view_of(contact), tuple(changed), outbox_id)


def get_contact(session: Session, account_id: int, contact_id: int) -> ContactView:
    """Return one contact of the account or raise NotFoundError."""
    return view_of(_load(session, account_id, contact_id))


def find_contact_by_phone(session: Session, account_id: int, raw_phone: str) -> ContactView | None:
    """Return the contact whose phone identity matches ``raw_phone`` in any format, or None."""
    known = known_for(session, account_id, {})
    identity = normalize(raw_phone, known.region)
    contact = repo.by_identity(session, account_id, identity.e164, identity.extension)
    return None if contact is None else view_of(contact)


def list_contacts(
    session: Session, account_id: int, *, after_id: int = 0, limit: int = 100
) -> list[ContactView]:
    """Return a page of contacts ordered by id (pass the last id to get the next page)."""
    return [view_of(c) for c in repo.list_page(session, account_id, after_id=after_id, limit=limit)]


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def define_custom_property(
    session: Session,
    account_id: int,
    name: str,
    *,
    label: str,
    value_type: str,
    clock: Clock | None = None,
) -> CustomPropertyDef:
    """Add a typed custom contact property (snake_case name, not a standard one)."""
    problems: list[Problem] = []
    if not _NAME.match(name):
        problems.append(Problem("name", "name must be snake_case (a-z, 0-9, _)", "bad_name"))
    elif name in STANDARD_PROPERTIES or name in READ_ONLY or name == "owner_user_id":
        problems.append(Problem("name", f"{name!r} is a standard property", "taken"))
    elif name in repo.custom_defs(session, account_id):
        problems.append(Problem("name", f"custom property {name!r} already exists", "taken"))
    if value_type not in [t.value for t in CustomType]:
        allowed = ", ".join(t.value for t in CustomType)
        problems.append(Problem("value_type", f"value_type must be one of {allowed}", "bad_choice"))
    if not label.strip():
        problems.append(Problem("label", "label must not be empty", "required"))
    _raise(problems, "the custom property cannot be defined", account_id)
    definition = CustomPropertyDef(
        account_id=account_id,
        name=name,
        label=label.strip(),
        value_type=value_type,
        created_at=(clock or SystemClock()).now(),
    )
    return repo.add_custom_def(session, definition)
