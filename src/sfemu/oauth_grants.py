"""The OAuth 2.0 grant types of the token endpoint, each returning Salesforce's JSON body.

Errors are raised as :class:`GrantError` carrying Salesforce's ``error`` /
``error_description`` pair and HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography import x509

from sfemu.oauth import ConnectedApp, Session
from sfemu.state import EmulatorState

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class GrantError(Exception):
    """An OAuth error response: ``error``, ``error_description`` and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        """Keep the parts of the OAuth error body."""
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def run_grant(
    state: EmulatorState, params: Mapping[str, str], base: str, *, basic: bool
) -> dict[str, Any]:
    """Run the grant named by ``grant_type`` and return the token response body."""
    grant_type = params.get("grant_type")
    if not grant_type:
        raise GrantError("invalid_request", "grant type is missing")
    handler = _GRANTS.get(grant_type)
    if handler is None:
        raise GrantError("unsupported_grant_type", "grant type not supported")
    return handler(_Context(state, params, base, basic))


class _Context:
    """What one token request carries."""

    def __init__(
        self, state: EmulatorState, params: Mapping[str, str], base: str, basic: bool
    ) -> None:
        self.state = state
        self.params = params
        self.base = base
        self.basic = basic

    def app(self, *, secret_required: bool) -> ConnectedApp:
        app = self.state.tokens.app(self.params.get("client_id"))
        if app is None:
            raise GrantError("invalid_client_id", "client identifier invalid")
        secret = self.params.get("client_secret")
        if (secret_required or secret is not None) and not app.check_secret(secret):
            raise GrantError(
                "invalid_client", "invalid client credentials", 401 if self.basic else 400
            )
        return app

    def active_user(self, user_id: str) -> Mapping[str, Any]:
        user = self.state.org.lookup(user_id)
        if user is None:
            raise GrantError("invalid_grant", "authentication failure")
        if not user.get("IsActive", True):
            raise GrantError("invalid_grant", "inactive user")
        return user

    def session(
        self, user_id: str, app: ConnectedApp, scope: str, refresh_token: str | None = None
    ) -> Session:
        return self.state.tokens.issue_session(
            user_id,
            app.client_id,
            scope,
            self.state.org.now(),
            self.state.config.session_seconds,
            refresh_token=refresh_token,
        )

    def body(
        self,
        session: Session,
        app: ConnectedApp,
        *,
        scope: bool = True,
        signed: bool = True,
        refresh_token: str | None = None,
    ) -> dict[str, Any]:
        org = self.state.org
        identity = f"{self.base}/id/{org.org_id}/{session.user_id}"
        issued_at = str(int(org.now().timestamp() * 1000))
        body: dict[str, Any] = {"access_token": session.token}
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        if signed:
            body["signature"] = app.sign(identity, issued_at)
        if scope:
            body["scope"] = session.scope
        body["instance_url"] = self.base
        body["id"] = identity
        body["token_type"] = "Bearer"  # noqa: S105 -- a token type, not a secret
        if signed:
            body["issued_at"] = issued_at
        return body


def _password(ctx: _Context) -> dict[str, Any]:
    app = ctx.app(secret_required=True)
    username = ctx.params.get("username") or ""
    password = ctx.params.get("password") or ""
    org = ctx.state.org
    user = org.find_user_by_username(username) if username else None
    if user is None or not ctx.state.tokens.password_matches(
        str(user["Id"]), password, org.check_password
    ):
        raise GrantError("invalid_grant", "authentication failure")
    user_id = str(user["Id"])
    ctx.active_user(user_id)
    session = ctx.session(user_id, app, "api")
    return ctx.body(session, app, scope=False)


def _client_credentials(ctx: _Context) -> dict[str, Any]:
    app = ctx.app(secret_required=True)
    user_id = app.run_as_user_id or ctx.state.org.admin_user_id
    ctx.active_user(user_id)
    session = ctx.session(user_id, app, "api")
    return ctx.body(session, app)


def _authorization_code(ctx: _Context) -> dict[str, Any]:
    params = ctx.params
    tokens = ctx.state.tokens
    grant = tokens.take_code(params.get("code"), ctx.state.org.now())
    pkce = grant is not None and grant.code_challenge is not None
    app = ctx.app(secret_required=not pkce)
    if grant is None or grant.client_id != app.client_id:
        raise GrantError("invalid_grant", "invalid authorization code")
    if params.get("redirect_uri") != grant.redirect_uri:
        raise GrantError("invalid_grant", "redirect_uri must match configuration")
    if not grant.verifier_ok(params.get("code_verifier")):
        raise GrantError("invalid_grant", "invalid code verifier")
    ctx.active_user(grant.user_id)
    scopes = grant.scope.split()
    refresh = None
    if {"refresh_token", "offline_access", "full"} & set(scopes):
        refresh = tokens.issue_refresh(grant.user_id, app.client_id, grant.scope).token
    session = ctx.session(grant.user_id, app, grant.scope, refresh)
    return ctx.body(session, app, refresh_token=refresh)


def _refresh_token(ctx: _Context) -> dict[str, Any]:
    app = ctx.app(secret_required=False)
    tokens = ctx.state.tokens
    presented = ctx.params.get("refresh_token")
    grant = tokens.refresh_grant(presented)
    if grant is None or grant.client_id != app.client_id:
        raise GrantError("invalid_grant", "expired access/refresh token")
    ctx.active_user(grant.user_id)
    new_refresh = None
    if ctx.state.config.refresh_token_rotation:
        tokens.drop_refresh(grant.token)
        new_refresh = tokens.issue_refresh(grant.user_id, app.client_id, grant.scope).token
    session = ctx.session(grant.user_id, app, grant.scope, new_refresh or grant.token)
    return ctx.body(session, app, refresh_token=new_refresh)


def _public_key(pem: str) -> Any:
    if "BEGIN CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem.encode()).public_key()
    return pem


def _jwt_bearer(ctx: _Context) -> dict[str, Any]:
    assertion = ctx.params.get("assertion") or ""
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise GrantError("invalid_grant", "invalid assertion") from exc
    app = ctx.state.tokens.app(str(unverified.get("iss") or ""))
    if app is None:
        raise GrantError("invalid_client_id", "client identifier invalid")
    if app.jwt_public_key is None:
        raise GrantError("invalid_grant", "user hasn't approved this consumer")
    try:
        claims = jwt.decode(
            assertion,
            _public_key(app.jwt_public_key),
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
        )
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise GrantError("invalid_grant", "invalid assertion") from exc
    audiences = claims.get("aud")
    aud_list = audiences if isinstance(audiences, list) else [audiences]
    allowed = {*LOGIN_AUDIENCES, ctx.base.rstrip("/")}
    if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in aud_list):
        raise GrantError("invalid_grant", "audience is invalid")
    try:
        expires = float(claims["exp"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GrantError("invalid_grant", "invalid assertion") from exc
    if expires <= ctx.state.org.now().timestamp():
        raise GrantError("invalid_grant", "expired authorization code")
    user = ctx.state.org.find_user_by_username(str(claims.get("sub") or ""))
    if user is None:
        raise GrantError("invalid_grant", "user hasn't approved this consumer")
    user_id = str(user["Id"])
    ctx.active_user(user_id)
    session = ctx.session(user_id, app, "api")
    return ctx.body(session, app, signed=False)


_GRANTS: dict[str, Callable[[_Context], dict[str, Any]]] = {
    "password": _password,
    "client_credentials": _client_credentials,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    JWT_GRANT: _jwt_bearer,
}
