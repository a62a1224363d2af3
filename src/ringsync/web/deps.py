"""Request dependencies: the context, a write session, and who is calling (default deny).

Callers are either a signed-in person (session cookie; role admin or agent) or an integration
(``Authorization: Bearer rs_...``). A cookie-authenticated change (any method but GET, HEAD,
OPTIONS) must carry the session's anti-forgery token in ``X-CSRF-Token``; a bearer token is not
sent by browsers on their own, so it needs none. Every lookup below is scoped to the caller's
account, so another account's ids answer 404 exactly like ids that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ringsync.domain.users import Role
from ringsync.web import auth_store
from ringsync.web.context import WebContext
from ringsync.web.errors import CsrfError, ForbiddenError, NotSignedInError
from ringsync.web.security import API_TOKEN_PREFIX, digest
from ringsync.web.sessions import session_secret

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


class Via(StrEnum):
    """How the caller proved who it is."""

    SESSION = "session"
    TOKEN = "token"  # noqa: S105  # a label for how the caller signed in, not a secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account, and a user with a role (sessions) or a token (integrations)."""

    account_id: int
    via: Via
    user_id: int | None = None
    role: Role | None = None
    session_secret: str | None = None
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Tell whether the caller is a signed-in admin."""
        return self.via is Via.SESSION and self.role is Role.ADMIN


def get_context(request: Request) -> WebContext:
    """Return the app's context."""
    ctx = request.app.state.ringsync
    assert isinstance(ctx, WebContext)
    return ctx


ContextDep = Annotated[WebContext, Depends(get_context)]


def write_session(ctx: ContextDep) -> Iterator[Session]:
    """Yield a session in one write transaction, committed before the response is sent."""
    with ctx.database.write() as session:
        yield session


def read_session(ctx: ContextDep) -> Iterator[Session]:
    """Yield a session for reads (no write lock taken)."""
    with ctx.database.read() as session:
        yield session


SessionDep = Annotated[Session, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]


def _from_token(ctx: WebContext, header: str) -> Principal:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(API_TOKEN_PREFIX):
        raise NotSignedInError("send the API token as 'Authorization: Bearer rs_...'")
    with ctx.database.read() as session:
        token = auth_store.active_token(session, digest(value))
    if token is None:
        raise NotSignedInError("the API token is not valid or was revoked")
    return Principal(account_id=token.account_id, via=Via.TOKEN, token_id=token.id)


def session_principal(ctx: WebContext, request: Request) -> Principal | None:
    """Return the signed-in user of the session cookie, or None (no CSRF check here)."""
    secret = session_secret(ctx, request)
    if secret is None:
        return None
    with ctx.database.read() as session:
        user = auth_store.session_user(session, digest(secret), ctx.clock.now())
    if user is None:
        return None
    return Principal(
        account_id=user.account_id,
        via=Via.SESSION,
        user_id=user.id,
        role=Role(user.role),
        session_secret=secret,
    )


def resolve_caller(request: Request, ctx: ContextDep) -> Principal:
    """Return the authenticated caller or refuse with 401; check CSRF on cookie changes."""
    header = request.headers.get("authorization")
    if header:
        return _from_token(ctx, header)
    principal = session_principal(ctx, request)
    if principal is None:
        raise NotSignedInError("sign in or send an API token")
    if request.method not in SAFE_METHODS:
        assert principal.session_secret is not None
        if not ctx.signer.check_csrf(principal.session_secret, request.headers.get(CSRF_HEADER)):
            raise CsrfError(f"missing or invalid {CSRF_HEADER} header")
    return principal


def require_user(caller: Annotated[Principal, Depends(resolve_caller)]) -> Principal:
    """Allow signed-in people (agents and admins); integrations' tokens are refused."""
    if caller.via is not Via.SESSION:
        raise ForbiddenError("this route needs a signed-in user, not an API token")
    return caller


def require_admin(user: Annotated[Principal, Depends(require_user)]) -> Principal:
    """Allow only the account's admins."""
    if not user.is_admin:
        raise ForbiddenError("only an admin of this account may do this")
    return user


ApiAccount = Annotated[Principal, Depends(resolve_caller)]
CurrentUser = Annotated[Principal, Depends(require_user)]
CurrentAdmin = Annotated[Principal, Depends(require_admin)]

__all__ = [
    "CSRF_HEADER",
    "ApiAccount",
    "ContextDep",
    "CurrentAdmin",
    "CurrentUser",
    "Principal",
    "ReadSessionDep",
    "SessionDep",
    "Via",
    "get_context",
    "resolve_caller",
    "session_principal",
]
