"""``/api/v1/admin/integration``: connect Salesforce, see the connection, check it, disconnect.

The admin page connects with OAuth's authorization code and PKCE (S256): ``oauth/start``
returns the authorize URL and keeps a one-time ``state`` (digest only), bound to the admin's
session, with the PKCE verifier encrypted server-side. The callback refuses a missing,
unknown, expired, foreign or replayed state before it exchanges the code; the instance URL
Salesforce returns must be an allowed host, and the refresh token is stored encrypted.
Servers connect with ``connect`` (JWT bearer or client credentials) instead. The callback is
rate limited per client address and per account, and the connection check per account (429).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    check_login,
    get_connection,
    record_check,
    save_connection,
    spec_problems,
)
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import NotFoundError, RingsyncError, ValidationError
from ringsync.salesforce.authorize import build_authorize_url, exchange_code
from ringsync.salesforce.check import FieldRequirement, check_connection
from ringsync.store import oauth_states
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import NotConnectedError, SalesforceAccess, salesforce_access
from ringsync.web.api.admin_schemas import MAX_TEXT, BudgetOut, CheckOut, IntegrationOut
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, CurrentAdmin, Principal
from ringsync.web.errors import WebError
from ringsync.web.ratelimit import RateLimitsDep
from ringsync.web.security import digest, new_secret
from ringsync.web.sessions import client_address

router = APIRouter(prefix="/integration", tags=["admin: integration"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]
STATE_LIFETIME = timedelta(minutes=10)
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
PAGE = "/salesforce"
_SAFE_REASON = re.compile(r"[^A-Za-z0-9_ .-]")


class OAuthStateError(WebError):
    """The OAuth callback's state is missing, unknown, expired, replayed or not this session's."""

    code = "oauth_state_invalid"
    status = 400


class OAuthDeniedError(WebError):
    """Salesforce sent the admin back without a code (they denied access, or the app refused)."""

    code = "salesforce_denied"
    status = 400


class OAuthStartBody(BaseModel):
    """Which org to sign in to, and the connected app to sign in with."""

    model_config = ConfigDict(extra="forbid")

    login_url: str = Field(default=DEFAULT_LOGIN_URL, max_length=255)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(default=None, max_length=255)


class OAuthStartOut(BaseModel):
    """Where to send the browser, and until when the sign-in may be finished."""

    authorize_url: str
    expires_at: str


class ConnectBody(BaseModel):
    """A server-to-server login: JWT bearer (certificate key) or client credentials."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["jwt", "client_credentials"]
    login_url: str = Field(max_length=255)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=255)
    private_key: str | None = Field(default=None, max_length=64_000)


def identity_ids(identity_url: str | None) -> dict[str, str]:
    """Return the org and user ids from a token response's identity URL (``.../id/ORG/USER``)."""
    if not identity_url:
        return {}
    parts = identity_url.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "id":
        return {"org_id": parts[-2][:18], "user_id": parts[-1][:18]}
    return {}


def integration_out(ctx: WebContext, access: SalesforceAccess, account_id: int) -> IntegrationOut:
    """Describe the account's connection (never a secret) with its API budget use."""
    with ctx.database.read() as session:
        view = get_connection(session, account_id)
    if view is None:
        return IntegrationOut(connected=False)
    ids: dict[str, str] = {}
    try:
        secrets = access.spec(ctx.database, account_id).secrets
        ids = {k: secrets[k] for k in ("org_id", "user_id") if secrets.get(k)}
    except RingsyncError:
        ids = {}  # keys missing or rotated away: the rest of the status still shows
    budget = access.budget(account_id)
    return IntegrationOut(
        connected=True,
        method=view.method,
        login_url=view.login_url,
        instance_url=view.instance_url,
        org_id=ids.get("org_id"),
        user_id=ids.get("user_id"),
        username=view.username,
        state=view.state,
        last_error=view.last_error,
        connected_at=view.connected_at,
        checked_at=view.checked_at,
        api_budget=BudgetOut.of(budget) if budget is not None else None,
    )


@router.post("/oauth/start", response_model=OAuthStartOut)
def oauth_start(
    body: OAuthStartBody,
    request: Request,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
) -> OAuthStartOut:
    """Begin "Connect Salesforce": return the authorize URL (PKCE S256, one-time state)."""
    assert admin.user_id is not None  # admins are signed-in people
    assert admin.session_secret is not None
    state = new_secret()
    redirect_uri = str(request.url_for("salesforce_oauth_callback"))
    started = build_authorize_url(
        body.login_url.strip(), body.client_id.strip(), redirect_uri, state, hosts=access.hosts
    )
    sealed: dict[str, str] = {"code_verifier": started.code_verifier}
    if body.client_secret:
        sealed["client_secret"] = body.client_secret
    now = ctx.clock.now()
    expires_at = now + STATE_LIFETIME
    blob = access.cipher.encrypt(_json(sealed))
    with ctx.database.write() as session:
        oauth_states.purge(session, admin.account_id, now)
        oauth_states.add(
            session,
            oauth_states.PendingAuthorization(
                digest=digest(state),
                account_id=admin.account_id,
                user_id=admin.user_id,
                session_digest=digest(admin.session_secret),
                login_url=access.hosts.check(body.login_url.strip(), what="login URL"),
                client_id=body.client_id.strip(),
                redirect_uri=redirect_uri,
                secrets=blob,
                created_at=now,
                expires_at=expires_at,
            ),
        )
    return OAuthStartOut(authorize_url=started.url, expires_at=expires_at.isoformat())


def _json(values: dict[str, str]) -> str:
    return orjson.dumps(values).decode("utf-8")


def _opened(access: SalesforceAccess, blob: str) -> dict[str, str]:
    data = orjson.loads(access.cipher.decrypt(blob))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


@router.get(
    "/oauth/callback",
    name="salesforce_oauth_callback",
    response_model=IntegrationOut,
    responses={303: {"description": "Back to the Salesforce tab (browsers)."}},
)
def oauth_callback(
    request: Request,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
    limits: RateLimitsDep,
    state: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
) -> Response | IntegrationOut:
    """Finish "Connect Salesforce": check the state, exchange the code, keep the tokens.

    A browser (``Accept: text/html``) is sent back to the Salesforce tab with the outcome in
    the query string; API clients get the connection or the error in the one JSON shape.
    """
    browser = "text/html" in request.headers.get("accept", "")
    try:
        limits.check_oauth_callback(admin.account_id, client_address(request))
        _finish_sign_in(ctx, access, admin, state=state, code=code, error=error)
    except RingsyncError as exc:
        if browser:
            return RedirectResponse(f"{PAGE}?connect_error={exc.code}", status_code=303)
        raise
    if browser:
        return RedirectResponse(f"{PAGE}?connected=1", status_code=303)
    return integration_out(ctx, access, admin.account_id)


def _finish_sign_in(
    ctx: WebContext,
    access: SalesforceAccess,
    admin: Principal,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
) -> None:
    """Check the one-time state, exchange the code with its verifier, store the connection."""
    if not state:
        raise OAuthStateError("the sign-in came back without its state; start again")
    now = ctx.clock.now()
    with ctx.database.write() as session:
        pending = oauth_states.take(session, digest(state))
    if (
        pending is None
        or pending.account_id != admin.account_id
        or pending.user_id != admin.user_id
        or pending.session_digest != digest(admin.session_secret or "")
        or pending.expires_at <= now
    ):
        raise OAuthStateError(
            "this sign-in is unknown, expired, already used or was started in another session; "
            "start again"
        )
    if error or not code:
        reason = _SAFE_REASON.sub("", error or "no code")[:80] or "unknown"
        raise OAuthDeniedError(f"Salesforce did not grant access ({reason}); nothing was stored")
    secrets = _opened(access, pending.secrets)
    grant = exchange_code(
        access.http,
        pending.login_url,
        hosts=access.hosts,
        client_id=pending.client_id,
        client_secret=secrets.get("client_secret"),
        code=code,
        code_verifier=secrets["code_verifier"],
        redirect_uri=pending.redirect_uri,
    )
    stored: dict[str, str] = {"refresh_token": grant.refresh_token or ""}
    if secrets.get("client_secret"):
        stored["client_secret"] = secrets["client_secret"]
    stored.update(identity_ids(grant.identity_url))
    spec = ConnectionSpec(
        ConnectionMethod.OAUTH, pending.login_url, pending.client_id, None, stored
    )
    problems = spec_problems(spec, access.hosts)
    if problems:
        raise ValidationError("Salesforce's answer cannot be used; nothing was stored", problems)
    with ctx.database.write() as session:
        save_connection(
            session,
            admin.account_id,
            spec,
            access.cipher,
            state=ConnectionState.CONNECTED,
            instance_url=grant.instance_url,
            clock=ctx.clock,
        )
    access.forget(admin.account_id)


@router.post("/connect", response_model=IntegrationOut)
def connect(
    body: ConnectBody, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep
) -> IntegrationOut:
    """Connect a server-to-server login after one successful test login (secrets encrypted)."""
    method = ConnectionMethod(body.method)
    secrets: dict[str, str] = {}
    if body.client_secret:
        secrets["client_secret"] = body.client_secret
    if body.private_key:
        secrets["private_key"] = body.private_key
    spec = ConnectionSpec(
        method, body.login_url.strip(), body.client_id.strip(), body.username, secrets
    )
    problems = spec_problems(spec, access.hosts)
    if problems:
        raise ValidationError("the connection is incomplete; nothing was stored", problems)
    token = check_login(spec, access.http, access.hosts, clock=ctx.clock)
    with ctx.database.write() as session:
        save_connection(
            session,
            admin.account_id,
            spec,
            access.cipher,
            state=ConnectionState.CONNECTED,
            instance_url=token.instance_url,
            clock=ctx.clock,
        )
    access.forget(admin.account_id)
    return integration_out(ctx, access, admin.account_id)


@router.get("", response_model=IntegrationOut)
def status(admin: CurrentAdmin, ctx: ContextDep, access: AccessDep) -> IntegrationOut:
    """Return the connection: org, instance, user, API budget use and the last check."""
    return integration_out(ctx, access, admin.account_id)


@router.post("/check", response_model=CheckOut)
def check(
    admin: CurrentAdmin, ctx: ContextDep, access: AccessDep, limits: RateLimitsDep
) -> CheckOut:
    """Check API access and every mapped field of the saved settings, with the fix for each."""
    with ctx.database.read() as session:
        if get_connection(session, admin.account_id) is None:
            raise NotConnectedError("Salesforce is not connected: connect it first")
        settings = active_settings(session, admin.account_id)
    limits.check_salesforce_action(admin.account_id, "check")
    requirements = [
        FieldRequirement(obj.value, row.salesforce_field, needs_update=row.direction.outbound)
        for obj in settings.objects()
        for row in settings.mappings_for(obj)
    ]
    client = access.client(ctx.database, admin.account_id)
    verdict = check_connection(client, requirements)
    failing = [f for f in verdict.fields if not f.ok]
    error = verdict.api_error or (
        f"{len(failing)} mapped field(s) need attention" if failing else None
    )
    with ctx.database.write() as session:
        record_check(session, admin.account_id, error=error, clock=ctx.clock)
    return CheckOut.of(verdict)


@router.delete("", response_model=IntegrationOut)
def disconnect(admin: CurrentAdmin, ctx: ContextDep, access: AccessDep) -> IntegrationOut:
    """Disconnect: revoke the refresh token at Salesforce (best effort) and forget every secret."""
    with ctx.database.read() as session:
        if connection_repo.get(session, admin.account_id) is None:
            raise NotFoundError("nothing here: Salesforce is not connected")
    try:
        spec = access.spec(ctx.database, admin.account_id)
    except NotConnectedError:
        raise NotFoundError("nothing here: Salesforce is not connected") from None
    except RingsyncError:  # unreadable secrets (keys rotated away) must not stop a disconnect
        spec = None
    revoked = access.revoke(spec) if spec is not None else False
    with ctx.database.write() as session:
        connection_repo.remove(session, admin.account_id)
    access.forget(admin.account_id)
    out = integration_out(ctx, access, admin.account_id)
    return out.model_copy(update={"revoked": revoked})


__all__ = ["OAuthDeniedError", "OAuthStateError", "router"]
