"""Users of an account: agents and admins, plus extension/destination pseudo-users.

Deleting a user only marks it ``deleted``: contacts keep their owner history and the user
mapping to Salesforce owners can see why a mapping must be removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import users as repo
from ringsync.store.tables import User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Role(StrEnum):
    """What a user may do."""

    ADMIN = "admin"
    AGENT = "agent"


class UserStatus(StrEnum):
    """Whether a user can work (only active users can own synced contacts)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class UserKind(StrEnum):
    """A real person, or a routing target that is never mapped to a Salesforce owner."""

    USER = "user"
    EXTENSION = "extension"
    DESTINATION = "destination"


@dataclass(frozen=True)
class UserView:
    """What callers see of a user (never the password hash)."""

    id: int
    account_id: int
    email: str
    name: str
    role: Role
    status: UserStatus
    kind: UserKind
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @property
    def can_own_contacts(self) -> bool:
        """Tell whether the user may be mapped to a Salesforce owner."""
        return self.status is UserStatus.ACTIVE and self.kind is UserKind.USER


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        account_id=user.account_id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        status=UserStatus(user.status),
        kind=UserKind(user.kind),
        has_password=user.password_hash is not None,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


_ENUMS: dict[str, type[StrEnum]] = {"role": Role, "status": UserStatus, "kind": UserKind}
_FIELDS = ("email", "name", "role", "status", "kind", "password_hash")


def _check(values: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for key in values:
        if key not in _FIELDS:
            problems.append(Problem(key, f"unknown user field {key!r}", "unknown"))
    if "email" in values:
        email = str(values["email"] or "").strip()
        if not EMAIL_PATTERN.match(email) or len(email) > 320:
            problems.append(Problem("email", "email must look like name@example.com", "bad_email"))
    if "name" in values and len(str(values["name"] or "")) > 200:
        problems.append(Problem("name", "name is longer than 200 characters", "too_long"))
    for key, enum in _ENUMS.items():
        if key in values:
            allowed = [m.value for m in enum]
            if str(values[key]) not in allowed:
                problems.append(
                    Problem(key, f"{key} must be one of {', '.join(allowed)}", "bad_choice")
                )
    return problems


def create_user(
    session: Session,
    account_id: int,
    *,
    email: str,
    name: str = "",
    role: str = Role.AGENT,
    status: str = UserStatus.ACTIVE,
    kind: str = UserKind.USER,
    password_hash: str | None = None,
    clock: Clock | None = None,
) -> UserView:
    """Create a user; the email must be unique within the account."""
    values: dict[str, Any] = {"email": email, "name": name, "role": role, "status": status}
    values["kind"] = kind
    problems = _check(values)
    if not problems and repo.by_email(session, account_id, email.strip()) is not None:
        problems.append(Problem("email", "another user of this account has this email", "taken"))
    if problems:
        raise ValidationError("the user cannot be created", problems, account_id=account_id)
    now = (clock or SystemClock()).now()
    user = User(
        account_id=account_id,
        email=email.strip(),
        name=name.strip(),
        role=str(role),
        status=str(status),
        kind=str(kind),
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    return _view(repo.add(session, user))


def _load(session: Session, account_id: int, user_id: int) -> User:
    user = repo.get(session, account_id, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist", account_id=account_id)
    return user


def get_user(session: Session, account_id: int, user_id: int) -> UserView:
    """Return one user of the account or raise NotFoundError."""
    return _view(_load(session, account_id, user_id))


def find_user_by_email(session: Session, account_id: int, email: str) -> UserView | None:
    """Return the account's user with this email (case-insensitive), or None."""
    user = repo.by_email(session, account_id, email.strip())
    return None if user is None else _view(user)


def list_users(session: Session, account_id: int, *, status: str | None = None) -> list[UserView]:
    """List the account's users, optionally only those with ``status``."""
    return [_view(u) for u in repo.list_all(session, account_id, status=status)]


def update_user(
    session: Session,
    account_id: int,
    user_id: int,
    changes: dict[str, Any],
    *,
    clock: Clock | None = None,
) -> UserView:
    """Change a user's fields (email, name, role, status, kind, password_hash)."""
    problems = _check(changes)
    user = _load(session, account_id, user_id)
    if "email" in changes and not problems:
        other = repo.by_email(session, account_id, str(changes["email"]).strip())
        if other is not None and other.id != user.id:
            problems.append(
                Problem("email", "another user of this account has this email", "taken")
            )
    if problems:
        raise ValidationError("the user cannot be changed", problems, account_id=account_id)
    for key, value in changes.items():
        setattr(
            user, key, value.strip() if isinstance(value, str) and key != "password_hash" else value
        )
    user.updated_at = (clock or SystemClock()).now()
    session.flush()
    return _view(user)


def delete_user(
    session: Session, account_id: int, user_id: int, *, clock: Clock | None = None
) -> UserView:
    """Mark a user deleted (kept for history; its Salesforce owner mapping must go)."""
    return update_user(
        session, account_id, user_id, {"status": UserStatus.DELETED.value}, clock=clock
    )
