"""``/api/v1/users``: the account's users (admins only).

Passwords are hashed with argon2id before they reach the store. A password, role or status
change signs the user out everywhere. An admin cannot change their own role or status, so an
account cannot lose its last admin by accident.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ringsync.domain.users import Role, UserKind, UserStatus, create_user, list_users, update_user
from ringsync.errors import Problem, ValidationError
from ringsync.web import auth_store
from ringsync.web.api.schemas import UserOut
from ringsync.web.deps import ContextDep, CurrentAdmin, ReadSessionDep, SessionDep

router = APIRouter(tags=["users"])

MIN_PASSWORD = 12
MAX_PASSWORD = 256


def password_problems(password: str | None) -> list[Problem]:
    """Return what is wrong with a new password (length only, as ASVS 6.2 advises)."""
    if password is None:
        return []
    if len(password) < MIN_PASSWORD:
        return [
            Problem(
                "password", f"password must have at least {MIN_PASSWORD} characters", "too_short"
            )
        ]
    if len(password) > MAX_PASSWORD:
        return [
            Problem("password", f"password must have at most {MAX_PASSWORD} characters", "too_long")
        ]
    return []


class UserCreateBody(BaseModel):
    """A new user; without a password the user cannot sign in yet."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    role: str = Role.AGENT.value
    status: str = UserStatus.ACTIVE.value
    kind: str = UserKind.USER.value
    password: str | None = None


class UserUpdateBody(BaseModel):
    """Changes to a user; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    role: str | None = None
    status: str | None = None
    kind: str | None = None
    password: str | None = None


class UserList(BaseModel):
    """The account's users."""

    items: list[UserOut]


def _merge(problems: list[Problem], exc: ValidationError | None, message: str) -> None:
    everything = problems + (exc.problems if exc else [])
    if everything:
        raise ValidationError(exc.message if exc else message, everything)


@router.get("/users", response_model=UserList)
def get_users(admin: CurrentAdmin, session: ReadSessionDep) -> UserList:
    """List the account's users."""
    return UserList(items=[UserOut.of(u) for u in list_users(session, admin.account_id)])


@router.post("/users", status_code=201, response_model=UserOut)
def post_user(
    body: UserCreateBody, admin: CurrentAdmin, ctx: ContextDep, session: SessionDep
) -> UserOut:
    """Create a user of the account."""
    problems = password_problems(body.password)
    password_hash = ctx.passwords.hash(body.password) if body.password and not problems else None
    try:
        user = create_user(
            session,
            admin.account_id,
            email=body.email,
            name=body.name,
            role=body.role,
            status=body.status,
            kind=body.kind,
            password_hash=password_hash,
            clock=ctx.clock,
        )
    except ValidationError as exc:
        _merge(problems, exc, "the user cannot be created")
        raise
    _merge(problems, None, "the user cannot be created")
    return UserOut.of(user)


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(
    user_id: int,
    body: UserUpdateBody,
    admin: CurrentAdmin,
    ctx: ContextDep,
    session: SessionDep,
) -> UserOut:
    """Change a user of the account."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"password"})
    changes = {key: value for key, value in changes.items() if value is not None}
    problems = password_problems(body.password)
    if user_id == admin.user_id:
        for key in ("role", "status"):
            if key in changes:
                problems.append(Problem(key, f"you cannot change your own {key}", "self_change"))
    if body.password and not problems:
        changes["password_hash"] = ctx.passwords.hash(body.password)
    try:
        user = update_user(session, admin.account_id, user_id, changes, clock=ctx.clock)
    except ValidationError as exc:
        _merge(problems, exc, "the user cannot be changed")
        raise
    _merge(problems, None, "the user cannot be changed")
    if {"password_hash", "role", "status"} & changes.keys():
        auth_store.delete_user_sessions(session, admin.account_id, user_id)
    return UserOut.of(user)
