"""Links between contacts and Salesforce records, with their base (last synced values)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import execute_many
from ringsync.store.sync_tables import sync_links
from ringsync.store.typed_json import decode_values, encode_values

_T = sync_links


@dataclass(frozen=True)
class LinkRow:
    """One stored link; ``base`` holds typed property values."""

    contact_id: int
    sobject: str
    record_id: str
    base: Mapping[str, object] = field(default_factory=dict)
    fingerprint: str | None = None
    last_synced_at: datetime | None = None


def _row(raw: object) -> LinkRow:
    mapping = getattr(raw, "_mapping", raw)
    assert isinstance(mapping, Mapping)  # a Core row mapping, for mypy
    return LinkRow(
        contact_id=int(mapping["contact_id"]),
        sobject=str(mapping["sobject"]),
        record_id=str(mapping["record_id"]),
        base=decode_values(mapping["base"]),
        fingerprint=mapping["fingerprint"],
        last_synced_at=mapping["last_synced_at"],
    )


def by_records(
    session: Session, account_id: int, record_ids: Collection[str]
) -> dict[str, LinkRow]:
    """Return the links of these Salesforce record ids, keyed by record id."""
    if not record_ids:
        return {}
    stmt = select(_T).where(_T.c.account_id == account_id, _T.c.record_id.in_(list(record_ids)))
    return {link.record_id: link for link in map(_row, session.execute(stmt))}


def by_contacts(
    session: Session, account_id: int, contact_ids: Collection[int]
) -> dict[int, LinkRow]:
    """Return the links of these contacts, keyed by contact id."""
    if not contact_ids:
        return {}
    stmt = select(_T).where(_T.c.account_id == account_id, _T.c.contact_id.in_(list(contact_ids)))
    return {link.contact_id: link for link in map(_row, session.execute(stmt))}


def list_links(session: Session, account_id: int, *, sobject: str | None = None) -> list[LinkRow]:
    """List an account's links (optionally of one object), ordered by contact id."""
    stmt = select(_T).where(_T.c.account_id == account_id)
    if sobject is not None:
        stmt = stmt.where(_T.c.sobject == sobject)
    return [_row(r) for r in session.execute(stmt.order_by(_T.c.contact_id))]


def has_links(session: Session, account_id: int, sobject: str) -> bool:
    """Tell whether the account has at least one link to ``sobject`` records."""
    stmt = select(_T.c.id).where(_T.c.account_id == account_id, _T.c.sobject == sobject).limit(1)
    return session.execute(stmt).first() is not None


def save(
    session: Session,
    account_id: int,
    link: LinkRow,
    at: datetime,
) -> None:
    """Store ``link`` as the one link of its contact and of its record (replacing others)."""
    same = and_(
        _T.c.account_id == account_id,
        _T.c.contact_id == link.contact_id,
        _T.c.sobject == link.sobject,
        _T.c.record_id == link.record_id,
    )
    values = {
        "base": encode_values(link.base),
        "fingerprint": link.fingerprint,
        "last_synced_at": at,
    }
    if session.execute(update(_T).where(same).values(**values)).rowcount:  # type: ignore[attr-defined]  # CursorResult
        return
    _delete_clashes(session, account_id, [link])
    session.execute(
        insert(_T).values(
            account_id=account_id,
            contact_id=link.contact_id,
            sobject=link.sobject,
            record_id=link.record_id,
            linked_at=at,
            **values,
        )
    )


def update_base(
    session: Session,
    account_id: int,
    contact_id: int,
    changes: Mapping[str, object],
    at: datetime,
    *,
    fingerprint: str | None = None,
) -> bool:
    """Merge ``changes`` into a contact's link base; False when the contact has no link."""
    current = by_contacts(session, account_id, [contact_id]).get(contact_id)
    if current is None:
        return False
    base = {**current.base, **changes}
    stmt = (
        update(_T)
        .where(_T.c.account_id == account_id, _T.c.contact_id == contact_id)
        .values(base=encode_values(base), fingerprint=fingerprint, last_synced_at=at)
    )
    session.execute(stmt)
    return True


def set_fingerprint(
    session: Session, account_id: int, record_id: str, fingerprint: str, at: datetime
) -> None:
    """Remember the fingerprint of a record as last read (its next identical read is an echo)."""
    stmt = (
        update(_T)
        .where(_T.c.account_id == account_id, _T.c.record_id == record_id)
        .values(fingerprint=fingerprint, last_synced_at=at)
    )
    session.execute(stmt)


def _delete_clashes(session: Session, account_id: int, links: Sequence[LinkRow]) -> None:
    """Delete the stored links sharing a contact or a record with any of ``links``.

    One DELETE per unique index (contacts; each object's record ids): an OR of the two would
    make the database scan every link of the account.
    """
    mine = _T.c.account_id == account_id
    contacts = sorted({link.contact_id for link in links})
    session.execute(delete(_T).where(mine, _T.c.contact_id.in_(contacts)))
    by_object: dict[str, set[str]] = {}
    for link in links:
        by_object.setdefault(link.sobject, set()).add(link.record_id)
    for sobject, ids in sorted(by_object.items()):
        session.execute(
            delete(_T).where(mine, _T.c.sobject == sobject, _T.c.record_id.in_(sorted(ids)))
        )


def insert_many(session: Session, account_id: int, links: Sequence[LinkRow], at: datetime) -> None:
    """Store new links, replacing any stored link of the same contacts or records.

    The batch form of `save` for links that are not stored as such: the DELETEs of the
    clashing links, then one executemany INSERT. Each contact and record appears once.
    """
    if not links:
        return
    _delete_clashes(session, account_id, links)
    rows = [
        {
            "account_id": account_id,
            "contact_id": link.contact_id,
            "sobject": link.sobject,
            "record_id": link.record_id,
            "base": encode_values(link.base),
            "fingerprint": link.fingerprint,
            "linked_at": at,
            "last_synced_at": at,
        }
        for link in links
    ]
    execute_many(session, insert(_T), _T, rows)


_REFRESH = (
    update(_T)
    .where(
        _T.c.account_id == bindparam("p_account_id"),
        _T.c.contact_id == bindparam("p_contact_id"),
        _T.c.sobject == bindparam("p_sobject"),
        _T.c.record_id == bindparam("p_record_id"),
    )
    .values(
        base=bindparam("p_base", type_=_T.c.base.type),
        fingerprint=bindparam("p_fingerprint"),
        last_synced_at=bindparam("p_at", type_=_T.c.last_synced_at.type),
    )
)


def refresh_many(session: Session, account_id: int, links: Sequence[LinkRow], at: datetime) -> None:
    """Rewrite the base and fingerprint of links stored exactly as given (one executemany).

    The batch form of `save` for links already stored with the same contact and record.
    """
    if not links:
        return
    params = [
        {
            "p_account_id": account_id,
            "p_contact_id": link.contact_id,
            "p_sobject": link.sobject,
            "p_record_id": link.record_id,
            "p_base": encode_values(link.base),
            "p_fingerprint": link.fingerprint,
            "p_at": at,
        }
        for link in links
    ]
    session.connection().execute(_REFRESH, params)


_MERGE_BASE = (
    update(_T)
    .where(_T.c.account_id == bindparam("p_account_id"), _T.c.id == bindparam("p_id"))
    .values(
        base=bindparam("p_base", type_=_T.c.base.type),
        fingerprint=None,
        last_synced_at=bindparam("p_at", type_=_T.c.last_synced_at.type),
    )
)


def update_bases(
    session: Session,
    account_id: int,
    changes: Mapping[int, Mapping[str, object]],
    at: datetime,
) -> set[int]:
    """Merge changes into many contacts' link bases (one SELECT, one executemany UPDATE).

    The batch form of `update_base` (the fingerprint is cleared as there); returns the
    contact ids that had a link.
    """
    if not changes:
        return set()
    stmt = select(_T.c.id, _T.c.contact_id, _T.c.base).where(
        _T.c.account_id == account_id, _T.c.contact_id.in_(sorted(changes))
    )
    params = []
    linked: set[int] = set()
    for row_id, contact_id, stored in session.execute(stmt):
        linked.add(int(contact_id))
        base = {**decode_values(stored), **changes[int(contact_id)]}
        params.append(
            {"p_account_id": account_id, "p_id": row_id, "p_base": encode_values(base), "p_at": at}
        )
    if params:
        session.connection().execute(_MERGE_BASE, params)
    return linked


_FINGERPRINT = (
    update(_T)
    .where(_T.c.account_id == bindparam("p_account_id"), _T.c.record_id == bindparam("p_record_id"))
    .values(
        fingerprint=bindparam("p_fingerprint"),
        last_synced_at=bindparam("p_at", type_=_T.c.last_synced_at.type),
    )
)


def set_fingerprints(
    session: Session, account_id: int, fingerprints: Mapping[str, str], at: datetime
) -> None:
    """Remember the fingerprints of many records as last read (one executemany UPDATE)."""
    if not fingerprints:
        return
    params = [
        {"p_account_id": account_id, "p_record_id": rid, "p_fingerprint": fp, "p_at": at}
        for rid, fp in fingerprints.items()
    ]
    session.connection().execute(_FINGERPRINT, params)


def remove(session: Session, account_id: int, record_id: str) -> LinkRow | None:
    """Delete the link of a record; return it when it existed."""
    found = by_records(session, account_id, [record_id]).get(record_id)
    if found is not None:
        session.execute(
            delete(_T).where(_T.c.account_id == account_id, _T.c.record_id == record_id)
        )
    return found


__all__ = [
    "LinkRow",
    "by_contacts",
    "by_records",
    "has_links",
    "insert_many",
    "list_links",
    "refresh_many",
    "remove",
    "save",
    "set_fingerprint",
    "set_fingerprints",
    "update_base",
    "update_bases",
]
