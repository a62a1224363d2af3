"""Dispositions: the outcomes agents give calls, some mirroring Salesforce lead statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import dispositions as repo
from ringsync.store.tables import Disposition

MAX_NAME = 80


@dataclass(frozen=True)
class DispositionView:
    """What callers see of a disposition."""

    id: int
    name: str
    sort_order: int
    is_default: bool
    is_converted: bool
    salesforce_status: str | None


@dataclass(frozen=True)
class LeadStatus:
    """One Salesforce lead status as the "pull lead statuses" operation reads it."""

    name: str
    sort_order: int = 0
    is_default: bool = False
    is_converted: bool = False


def _view(d: Disposition) -> DispositionView:
    return DispositionView(
        d.id, d.name, d.sort_order, d.is_default, d.is_converted, d.salesforce_status
    )


def _name_problems(
    session: Session, account_id: int, name: str, own_id: int | None
) -> list[Problem]:
    if not name.strip():
        return [Problem("name", "name must not be empty", "required")]
    if len(name) > MAX_NAME:
        return [Problem("name", f"name is longer than {MAX_NAME} characters", "too_long")]
    other = repo.by_name(session, account_id, name.strip())
    if other is not None and other.id != own_id:
        return [Problem("name", f"a disposition named {name.strip()!r} already exists", "taken")]
    return []


def create_disposition(
    session: Session,
    account_id: int,
    name: str,
    *,
    sort_order: int = 0,
    is_default: bool = False,
    is_converted: bool = False,
    salesforce_status: str | None = None,
) -> DispositionView:
    """Create a disposition; making it the default clears the previous default."""
    problems = _name_problems(session, account_id, name, None)
    if problems:
        raise ValidationError("the disposition cannot be created", problems, account_id=account_id)
    row = repo.add(
        session,
        Disposition(
            account_id=account_id,
            name=name.strip(),
            sort_order=sort_order,
            is_default=is_default,
            is_converted=is_converted,
            salesforce_status=salesforce_status,
        ),
    )
    if is_default:
        repo.clear_default(session, account_id, keep_id=row.id)
    return _view(row)


def _load(session: Session, account_id: int, disposition_id: int) -> Disposition:
    row = repo.get(session, account_id, disposition_id)
    if row is None:
        raise NotFoundError(f"disposition {disposition_id} does not exist", account_id=account_id)
    return row


def list_dispositions(session: Session, account_id: int) -> list[DispositionView]:
    """List the account's dispositions in display order."""
    return [_view(d) for d in repo.list_all(session, account_id)]


def find_disposition(session: Session, account_id: int, name: str) -> DispositionView | None:
    """Return the disposition with this name, or None."""
    row = repo.by_name(session, account_id, name)
    return None if row is None else _view(row)


_EDITABLE = ("name", "sort_order", "is_default", "is_converted", "salesforce_status")


def update_disposition(
    session: Session, account_id: int, disposition_id: int, changes: dict[str, Any]
) -> DispositionView:
    """Change a disposition's fields."""
    row = _load(session, account_id, disposition_id)
    problems = [
        Problem(k, f"unknown disposition field {k!r}", "unknown")
        for k in changes
        if k not in _EDITABLE
    ]
    if "name" in changes:
        problems += _name_problems(session, account_id, str(changes["name"]), row.id)
    if problems:
        raise ValidationError("the disposition cannot be changed", problems, account_id=account_id)
    for key, value in changes.items():
        setattr(row, key, value.strip() if key == "name" else value)
    if changes.get("is_default"):
        repo.clear_default(session, account_id, keep_id=row.id)
    session.flush()
    return _view(row)


def delete_disposition(session: Session, account_id: int, disposition_id: int) -> None:
    """Delete a disposition; contacts and activities that used it keep no disposition."""
    repo.delete(session, _load(session, account_id, disposition_id))


def import_lead_statuses(
    session: Session, account_id: int, statuses: Sequence[LeadStatus]
) -> list[DispositionView]:
    """Create or update one disposition per Salesforce lead status (by name); return them all."""
    result: list[DispositionView] = []
    default_id: int | None = None
    for status in statuses:
        row = repo.by_name(session, account_id, status.name.strip())
        if row is None:
            row = repo.add(
                session,
                Disposition(
                    account_id=account_id,
                    name=status.name.strip()[:MAX_NAME],
                    sort_order=status.sort_order,
                    is_default=False,
                    is_converted=status.is_converted,
                    salesforce_status=status.name,
                ),
            )
        else:
            row.sort_order = status.sort_order
            row.is_converted = status.is_converted
            row.salesforce_status = status.name
        if status.is_default:
            default_id = row.id
        result.append(_view(row))
    if default_id is not None:
        _load(session, account_id, default_id).is_default = True
        repo.clear_default(session, account_id, keep_id=default_id)
    session.flush()
    return [_view(_load(session, account_id, view.id)) for view in result]
