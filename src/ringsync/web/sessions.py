"""Browser sign-in and sign-out: checks, rate limits, session rows and the session cookie.

The cookie holds a random session secret signed with the app key; the database holds only the
secret's SHA-256 digest, so signing out (or a password change) ends the session for good.
Over https the cookie is ``__Host-ringsync`` (Secure, Path=/, no Domain); over plain http
(local demo) it is ``ringsync_session``. Both are HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request, Response

from ringsync.domain.users import UserView, get_user, update_user
from ringsync.errors import Problem, ValidationError
from ringsync.web import auth_store
from ringsync.web.context import WebContext
from ringsync.web.errors import NotSignedInError, TooManyAttemptsError
from ringsync.web.headers import is_https
from ringsync.web.security import digest, new_secret

log = logging.getLogger(__name__)

HTTPS_COOKIE = "__Host-ringsync"
HTTP_COOKIE = "ringsync_session"
HTTPS_PRESIGNIN_COOKIE = "__Host-ringsync-signin"
HTTP_PRESIGNIN_COOKIE = "ringsync_signin"
SESSION_PURPOSE = "session"
PRESIGNIN_PURPOSE = "presignin"
WRONG_CREDENTIALS = "email or password is wrong"


def cookie_name(request: Request) -> str:
    """Return the session cookie's name for this request's scheme."""
    return HTTPS_COOKIE if is_https(request.scope) else HTTP_COOKIE


def presignin_cookie_name(request: Request) -> str:
    """Return the name of the cookie that binds the sign-in form's anti-forgery token."""
    return HTTPS_PRESIGNIN_COOKIE if is_https(request.scope) else HTTP_PRESIGNIN_COOKIE


def client_address(request: Request) -> str:
    """Return the caller's address as the server saw it (proxy headers are uvicorn's job)."""
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class SignedIn:
    """A new session: the user and the secret that goes (signed) into the cookie."""

    user: UserView
    secret: str


def sign_in(
    ctx: WebContext,
    *,
    email: str,
    password: str,
    account_id: int | None,
    address: str,
) -> SignedIn:
    """Check the credentials under the rate limit and open a session.

    Passwords are checked outside any write transaction: argon2 is slow on purpose, and on
    SQLite a write transaction held meanwhile would make every other writer wait.
    """
    wait = ctx.login_limiter.retry_after(address, email)
    if wait:
        raise TooManyAttemptsError(
            f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait
        )
    with ctx.database.read() as session:
        candidates = auth_store.login_candidates(session, email, account_id)
    if not candidates:
        ctx.passwords.verify(None, password)  # same cost whether or not the email exists
    matches = [user for user in candidates if ctx.passwords.verify(user.password_hash, password)]
    if not matches:
        ctx.login_limiter.failed(address, email)
        log.warning("sign-in failed from %s", address)
        raise NotSignedInError(WRONG_CREDENTIALS)
    if len(matches) > 1:
        raise ValidationError(
            "choose an account",
            [
                Problem(
                    "account_id",
                    "this email and password sign in to several accounts; give account_id",
                    "ambiguous",
                )
            ],
        )
    user = matches[0]
    ctx.login_limiter.succeeded(address, email)
    stronger = None
    if user.password_hash and ctx.passwords.needs_rehash(user.password_hash):
        stronger = ctx.passwords.hash(password)
    now = ctx.clock.now()
    secret = new_secret()
    with ctx.database.write() as session:
        if stronger is not None:
            update_user(
                session, user.account_id, user.id, {"password_hash": stronger}, clock=ctx.clock
            )
        auth_store.delete_expired_sessions(session, now)
        auth_store.add_session(
            session,
            digest(secret),
            account_id=user.account_id,
            user_id=user.id,
            created_at=now,
            expires_at=now + ctx.session_lifetime,
        )
        view = get_user(session, user.account_id, user.id)
    log.info("user %s of account %s signed in", user.id, user.account_id)
    return SignedIn(view, secret)


def set_session_cookie(ctx: WebContext, request: Request, response: Response, secret: str) -> None:
    """Put the signed session secret in the session cookie."""
    response.set_cookie(
        cookie_name(request),
        ctx.signer.sign(SESSION_PURPOSE, secret),
        max_age=int(ctx.session_lifetime.total_seconds()),
        path="/",
        secure=is_https(request.scope),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    """Tell the browser to drop the session cookie."""
    response.delete_cookie(
        cookie_name(request),
        path="/",
        secure=is_https(request.scope),
        httponly=True,
        samesite="lax",
    )


def session_secret(ctx: WebContext, request: Request) -> str | None:
    """Return the session secret from a correctly signed cookie, or None."""
    signed = request.cookies.get(cookie_name(request))
    return ctx.signer.unsign(SESSION_PURPOSE, signed) if signed else None


def sign_out(ctx: WebContext, secret: str) -> None:
    """End the session whose secret is given."""
    with ctx.database.write() as session:
        auth_store.delete_session(session, digest(secret))


__all__ = [
    "HTTPS_COOKIE",
    "HTTP_COOKIE",
    "SignedIn",
    "clear_session_cookie",
    "client_address",
    "cookie_name",
    "presignin_cookie_name",
    "session_secret",
    "set_session_cookie",
    "sign_in",
    "sign_out",
]
