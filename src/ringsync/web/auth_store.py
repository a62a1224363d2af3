"""SQL for sign-in: candidate users, browser sessions and API tokens (digests only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ringsync.store.tables import User
from ringsync.web.auth_tables import api_tokens, web_sessions

_ACTIVE = "active"
_PERSON = "user"


@dataclass(frozen=True)
class TokenRow:
    """What the API shows of a token (never the token itself)."""

    id: int
    account_id: int
    name: str
    prefix: str
    created_by: int | None
    created_at: datetime
    revoked_at: datetime | None


def login_candidates(session: Session, email: str, account_id: int | None) -> list[User]:
    """Return the active people with this email (any account unless one is given) and a password."""
    stmt = select(User).where(
        func.lower(User.email) == email.strip().lower(),
        User.status == _ACTIVE,
        User.kind == _PERSON,
        User.password_hash.is_not(None),
    )
    if account_id is not None:
        stmt = stmt.where(User.account_id == account_id)
    return list(session.scalars(stmt.order_by(User.account_id)))


def add_session(
    session: Session,
    digest: str,
    *,
    account_id: int,
    user_id: int,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """Store a new browser session under the digest of its secret."""
    session.execute(
        insert(web_sessions).values(
            digest=digest,
            account_id=account_id,
            user_id=user_id,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def session_user(session: Session, digest: str, now: datetime) -> User | None:
    """Return the active user of an unexpired session, or None."""
    stmt = (
        select(User)
        .join(
            web_sessions,
            (web_sessions.c.user_id == User.id) & (web_sessions.c.account_id == User.account_id),
        )
        .where(
            web_sessions.c.digest == digest,
            web_sessions.c.expires_at > now,
            User.status == _ACTIVE,
            User.kind == _PERSON,
        )
    )
    return session.scalars(stmt).one_or_none()


def delete_session(session: Session, digest: str) -> None:
    """Forget one browser session."""
    session.execute(delete(web_sessions).where(web_sessions.c.digest == digest))


def delete_user_sessions(session: Session, account_id: int, user_id: int) -> None:
    """Sign a user out everywhere (after a password, role or status change)."""
    session.execute(
        delete(web_sessions).where(
            web_sessions.c.account_id == account_id, web_sessions.c.user_id == user_id
        )
    )


def delete_expired_sessions(session: Session, now: datetime) -> int:
    """Remove sessions past their end; return how many went."""
    result = session.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def _token(row: Row[Any, Any, Any, Any, Any, Any, Any]) -> TokenRow:
    return TokenRow(**row._mapping)


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.account_id,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.created_by,
    api_tokens.c.created_at,
    api_tokens.c.revoked_at,
)


def add_token(
    session: Session,
    *,
    account_id: int,
    name: str,
    digest: str,
    prefix: str,
    created_by: int | None,
    created_at: datetime,
) -> TokenRow:
    """Store a new API token's digest and return its public part."""
    stmt = (
        insert(api_tokens)
        .values(
            account_id=account_id,
            name=name,
            digest=digest,
            prefix=prefix,
            created_by=created_by,
            created_at=created_at,
        )
        .returning(*_TOKEN_COLUMNS)
    )
    return _token(session.execute(stmt).one())


def list_tokens(session: Session, account_id: int) -> list[TokenRow]:
    """Return the account's tokens, revoked ones included, oldest first."""
    stmt = select(*_TOKEN_COLUMNS).where(api_tokens.c.account_id == account_id)
    return [_token(row) for row in session.execute(stmt.order_by(api_tokens.c.id))]


def revoke_token(session: Session, account_id: int, token_id: int, now: datetime) -> bool:
    """Revoke one of the account's tokens; tell whether it existed (revoking twice is fine)."""
    found = session.execute(
        select(api_tokens.c.id, api_tokens.c.revoked_at).where(
            api_tokens.c.account_id == account_id, api_tokens.c.id == token_id
        )
    ).one_or_none()
    if found is None:
        return False
    if found.revoked_at is None:
        session.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now)
        )
    return True


def active_token(session: Session, digest: str) -> TokenRow | None:
    """Return the unrevoked token with this digest, or None."""
    stmt = select(*_TOKEN_COLUMNS).where(
        api_tokens.c.digest == digest, api_tokens.c.revoked_at.is_(None)
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else _token(row)


__all__ = [
    "TokenRow",
    "active_token",
    "add_session",
    "add_token",
    "delete_expired_sessions",
    "delete_session",
    "delete_user_sessions",
    "list_tokens",
    "login_candidates",
    "revoke_token",
    "session_user",
]
