"""``/api/v1/session``: sign in, see who is signed in (and the CSRF token), sign out.

Signing in is a JSON call: browsers cannot send a cross-site JSON body without a CORS preflight
(which ringsync never grants), and a foreign ``Origin`` header is refused, so a hostile page
cannot sign a victim in to an attacker's account (login CSRF).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ringsync.domain.users import get_user
from ringsync.web.api.schemas import UserOut
from ringsync.web.deps import ContextDep, CurrentUser, ReadSessionDep
from ringsync.web.errors import CsrfError
from ringsync.web.sessions import (
    clear_session_cookie,
    client_address,
    set_session_cookie,
    sign_in,
    sign_out,
)

router = APIRouter(tags=["session"])


class SignInBody(BaseModel):
    """Credentials; ``account_id`` only when one email signs in to several accounts."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    account_id: int | None = None


class SessionOut(BaseModel):
    """The signed-in user and the token to send as ``X-CSRF-Token`` on changes."""

    user: UserOut
    csrf_token: str


def check_same_origin(request: Request) -> None:
    """Refuse a request whose ``Origin`` header names another site."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own:
        raise CsrfError("cross-site sign-in refused")


@router.post("/session", response_model=SessionOut)
def create_session(
    body: SignInBody, request: Request, response: Response, ctx: ContextDep
) -> SessionOut:
    """Sign in with email and password; the session cookie comes back with the answer."""
    check_same_origin(request)
    signed_in = sign_in(
        ctx,
        email=body.email,
        password=body.password,
        account_id=body.account_id,
        address=client_address(request),
    )
    set_session_cookie(ctx, request, response, signed_in.secret)
    return SessionOut(
        user=UserOut.of(signed_in.user), csrf_token=ctx.signer.csrf_token(signed_in.secret)
    )


@router.get("/session", response_model=SessionOut)
def read_session(user: CurrentUser, ctx: ContextDep, session: ReadSessionDep) -> SessionOut:
    """Return the signed-in user and the session's anti-forgery token."""
    assert user.user_id is not None
    assert user.session_secret is not None
    view = get_user(session, user.account_id, user.user_id)
    return SessionOut(user=UserOut.of(view), csrf_token=ctx.signer.csrf_token(user.session_secret))


@router.delete("/session", status_code=204)
def delete_session(user: CurrentUser, request: Request, ctx: ContextDep) -> Response:
    """Sign out: the session ends on the server and the cookie is dropped."""
    assert user.session_secret is not None
    sign_out(ctx, user.session_secret)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response
