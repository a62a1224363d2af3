"""Values sent in updates whose outcome is unknown (the response was lost), per contact.

Salesforce may have applied such a write. Until the record is read again or a later write of the
same field succeeds, the values sent are kept here (property -> every value sent, typed JSON), so
the next read can tell our own write coming back from a Salesforce edit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ringsync.store.sync_tables import sync_in_flight
from ringsync.store.typed_json import decode_value, encode_value

_T = sync_in_flight

InFlight = dict[str, list[object]]
"""Property -> the values sent for it whose outcome is unknown."""


def _decode(raw: object) -> InFlight:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(prop): [decode_value(v) for v in values]
        for prop, values in raw.items()
        if isinstance(values, list) and values
    }


def load(
    session: Session, account_id: int, contact_ids: Collection[int] | None = None
) -> dict[int, InFlight]:
    """Return the in-flight values of these contacts (of every contact when None)."""
    stmt = select(_T.c.contact_id, _T.c.sent).where(_T.c.account_id == account_id)
    if contact_ids is not None:
        if not contact_ids:
            return {}
        stmt = stmt.where(_T.c.contact_id.in_(sorted(contact_ids)))
    found: dict[int, InFlight] = {}
    for contact_id, sent in session.execute(stmt):
        decoded = _decode(sent)
        if decoded:
            found[int(contact_id)] = decoded
    return found


def save_many(
    session: Session,
    account_id: int,
    changes: Mapping[int, Mapping[str, Sequence[object]]],
    at: datetime,
) -> None:
    """Replace the in-flight values of these contacts; an empty mapping removes a contact's row."""
    if not changes:
        return
    session.execute(
        delete(_T).where(_T.c.account_id == account_id, _T.c.contact_id.in_(sorted(changes)))
    )
    rows = [
        {
            "account_id": account_id,
            "contact_id": contact_id,
            "sent": {p: [encode_value(v) for v in vs] for p, vs in sent.items() if vs},
            "updated_at": at,
        }
        for contact_id, sent in sorted(changes.items())
        if any(sent.values())
    ]
    if rows:
        session.execute(insert(_T), rows)


__all__ = ["InFlight", "load", "save_many"]
