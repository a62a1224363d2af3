"""Accounts (tenants): each has a default phone region and a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.domain.phones import is_supported_region
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import accounts as repo
from ringsync.store.tables import Account


@dataclass(frozen=True)
class AccountView:
    """What callers see of an account."""

    id: int
    name: str
    default_region: str
    time_zone: str


def _view(account: Account) -> AccountView:
    return AccountView(account.id, account.name, account.default_region, account.time_zone)


def _problems(name: str | None, region: str | None, time_zone: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if name is not None and not name.strip():
        problems.append(Problem("name", "name must not be empty", "required"))
    if region is not None and not is_supported_region(region):
        problems.append(Problem("default_region", f"unknown phone region {region!r}", "bad_region"))
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem("time_zone", f"unknown time zone {time_zone!r}", "bad_zone"))
    return problems


def create_account(
    session: Session,
    name: str,
    *,
    default_region: str = "US",
    time_zone: str = "UTC",
    clock: Clock | None = None,
) -> AccountView:
    """Create a tenant after checking its region and time zone."""
    problems = _problems(name, default_region, time_zone)
    if problems:
        raise ValidationError("the account cannot be created", problems)
    account = Account(
        name=name.strip(),
        default_region=default_region.upper(),
        time_zone=time_zone,
        created_at=(clock or SystemClock()).now(),
    )
    return _view(repo.add(session, account))


def _load(session: Session, account_id: int) -> Account:
    account = repo.get(session, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
    return account


def get_account(session: Session, account_id: int) -> AccountView:
    """Return the account or raise NotFoundError."""
    return _view(_load(session, account_id))


def update_account(
    session: Session,
    account_id: int,
    *,
    name: str | None = None,
    default_region: str | None = None,
    time_zone: str | None = None,
) -> AccountView:
    """Change an account's name, default region or time zone."""
    problems = _problems(name, default_region, time_zone)
    if problems:
        raise ValidationError("the account cannot be changed", problems, account_id=account_id)
    account = _load(session, account_id)
    if name is not None:
        account.name = name.strip()
    if default_region is not None:
        account.default_region = default_region.upper()
    if time_zone is not None:
        account.time_zone = time_zone
    session.flush()
    return _view(account)
