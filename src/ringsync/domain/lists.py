"""Contact lists: named groups of an account's contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import lists as repo
from ringsync.store.tables import ContactList


@dataclass(frozen=True)
class ListView:
    """A list and how many contacts are on it."""

    id: int
    name: str
    size: int


def _load(session: Session, account_id: int, list_id: int) -> ContactList:
    row = repo.get(session, account_id, list_id)
    if row is None:
        raise NotFoundError(f"list {list_id} does not exist", account_id=account_id)
    return row


def _view(session: Session, row: ContactList) -> ListView:
    return ListView(row.id, row.name, repo.count_members(session, row.account_id, row.id))


def create_list(
    session: Session, account_id: int, name: str, *, clock: Clock | None = None
) -> ListView:
    """Create an empty list with a name unique in the account."""
    clean = name.strip()
    problem: Problem | None = None
    if not clean or len(clean) > 200:
        problem = Problem("name", "name must have 1 to 200 characters", "bad_length")
    elif repo.by_name(session, account_id, clean) is not None:
        problem = Problem("name", f"a list named {clean!r} already exists", "taken")
    if problem is not None:
        raise ValidationError("the list cannot be created", [problem], account_id=account_id)
    row = repo.add(
        session,
        ContactList(account_id=account_id, name=clean, created_at=(clock or SystemClock()).now()),
    )
    return _view(session, row)


def list_lists(session: Session, account_id: int) -> list[ListView]:
    """List the account's lists by name with their sizes."""
    return [_view(session, row) for row in repo.list_all(session, account_id)]


def add_to_list(
    session: Session,
    account_id: int,
    list_id: int,
    contact_ids: Sequence[int],
    *,
    clock: Clock | None = None,
) -> ListView:
    """Add contacts to a list; every id must be a contact of the same account."""
    row = _load(session, account_id, list_id)
    unique = sorted(set(contact_ids))
    unknown = sorted(set(unique) - repo.known_contact_ids(session, account_id, unique))
    if unknown:
        shown = ", ".join(str(cid) for cid in unknown[:20])
        raise ValidationError(
            "some contacts cannot be added",
            [Problem("contact_ids", f"no such contacts in this account: {shown}", "unknown")],
            account_id=account_id,
        )
    repo.add_members(session, account_id, row.id, unique, (clock or SystemClock()).now())
    return _view(session, row)


def remove_from_list(
    session: Session, account_id: int, list_id: int, contact_ids: Sequence[int]
) -> ListView:
    """Take contacts off a list (ids not on it are ignored)."""
    row = _load(session, account_id, list_id)
    repo.remove_members(session, account_id, row.id, sorted(set(contact_ids)))
    return _view(session, row)


def list_members(session: Session, account_id: int, list_id: int) -> list[int]:
    """Return the contact ids on a list."""
    return repo.member_ids(session, account_id, _load(session, account_id, list_id).id)


def delete_list(session: Session, account_id: int, list_id: int) -> None:
    """Delete a list; its contacts stay."""
    repo.remove(session, _load(session, account_id, list_id))
