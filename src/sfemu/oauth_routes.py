"""OAuth 2.0 HTTP endpoints: token (every grant), authorize, revoke, userinfo and identity."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sfemu.errors import SalesforceError
from sfemu.http import json_response
from sfemu.oauth import ConnectedApp, Session
from sfemu.oauth_format import token_format, token_response
from sfemu.oauth_grants import GrantError, run_grant
from sfemu.state import EmulatorState, base_url, emulator_state


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """Render an OAuth error body as Salesforce does."""
    return json_response({"error": error, "error_description": description}, status=status)


async def read_form(request: Request) -> dict[str, str]:
    """Return the query string and form-urlencoded body merged (the body wins)."""
    params = dict(request.query_params)
    raw = await request.body()
    if raw:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """Return (client_id, client_secret) from an HTTP Basic header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote(client_id), unquote(secret)


async def token_endpoint(request: Request) -> Response:
    """Handle POST /services/oauth2/token for every grant type, in the encoding asked for."""
    params = await read_form(request)
    basic = basic_credentials(request)
    if basic is not None:
        params.setdefault("client_id", basic[0])
        params.setdefault("client_secret", basic[1])
    fmt = token_format(params, request.headers.get("accept"))
    try:
        state = emulator_state(request)
        _token_fault(state, params)
        body = run_grant(state, params, base_url(request), basic=basic is not None)
    except GrantError as exc:
        error = {"error": exc.error, "error_description": exc.description}
        return token_response(error, fmt, exc.status)
    return token_response(body, fmt)


def _token_fault(state: EmulatorState, params: Mapping[str, str]) -> None:
    """Fail the grant when a token fault rule fires (see sfemu.faults).

    ``token_500`` is the outage answer Salesforce gives (``unknown_error``, retry later);
    ``token_invalid_grant`` refuses the grant and, like a revoked or expired refresh token,
    kills the refresh token presented so it keeps failing once the rule is gone.
    """
    rule = state.faults.token_fault(params.get("grant_type", ""))
    if rule is None:
        return
    if rule.kind == "token_500":
        raise GrantError("unknown_error", "retry your request", status=500)
    presented = params.get("refresh_token")
    if presented:
        state.tokens.drop_refresh(presented)
    raise GrantError("invalid_grant", "expired access/refresh token")


def _error_page(status: int, error: str, description: str) -> Response:
    text = f"error={error}\nerror_description={description}\n"
    return PlainTextResponse(text, status_code=status)


async def authorize_endpoint(request: Request) -> Response:
    """Approve at once and redirect back with a code (GET /services/oauth2/authorize)."""
    state = emulator_state(request)
    q = request.query_params
    app: ConnectedApp | None = state.tokens.app(q.get("client_id"))
    if app is None:
        return _error_page(400, "invalid_client_id", "client identifier invalid")
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_uri or not app.allows_redirect(redirect_uri):
        return _error_page(400, "redirect_uri_mismatch", "redirect_uri must match configuration")
    extra: dict[str, str] = {}
    if "state" in q:
        extra["state"] = q["state"]
    if q.get("response_type") != "code":
        reason = {
            "error": "unsupported_response_type",
            "error_description": "response type not supported",
        }
        return _redirect(redirect_uri, {**reason, **extra})
    challenge = q.get("code_challenge")
    method = q.get("code_challenge_method") or ("plain" if challenge else None)
    if challenge and method not in ("S256", "plain"):
        reason = {"error": "invalid_request", "error_description": "invalid code_challenge_method"}
        return _redirect(redirect_uri, {**reason, **extra})
    org = state.org
    user = org.find_user_by_username(q["login_hint"]) if q.get("login_hint") else None
    user_id = str(user["Id"]) if user is not None else org.admin_user_id
    grant = state.tokens.issue_code(
        user_id=user_id,
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        scope=q.get("scope") or "api refresh_token",
        now=org.now(),
        code_challenge=challenge,
        code_challenge_method=method,
    )
    return _redirect(redirect_uri, {"code": grant.code, **extra})


def _redirect(redirect_uri: str, params: Mapping[str, str]) -> Response:
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)


async def revoke_endpoint(request: Request) -> Response:
    """Revoke an access or refresh token (POST or GET /services/oauth2/revoke)."""
    params = await read_form(request)
    token = params.get("token")
    if not token:
        return oauth_error("invalid_token", "invalid token")
    if not emulator_state(request).tokens.revoke(token):
        return oauth_error("invalid_token", "invalid token")
    return Response(status_code=200)


def bearer_session(request: Request) -> Session | None:
    """Return the live session of the request's Bearer/OAuth token, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token:
        return None
    state = emulator_state(request)
    return state.tokens.validate(token.strip(), state.org.now())


def _bad_token() -> Response:
    return PlainTextResponse("Bad_OAuth_Token", status_code=403)


def user_profile(request: Request, user_id: str) -> dict[str, Any] | None:
    """Return the fields userinfo and identity share, or None for an unknown user."""
    org = emulator_state(request).org
    user = org.lookup(user_id)
    if user is None:
        return None
    base = base_url(request)
    first = user.get("FirstName") or ""
    last = user.get("LastName") or ""
    identity = f"{base}/id/{org.org_id}/{user_id}"
    return {
        "identity": identity,
        "username": user.get("Username"),
        "name": user.get("Name") or f"{first} {last}".strip(),
        "first_name": first or None,
        "last_name": last or None,
        "email": user.get("Email"),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "timezone": user.get("TimeZoneSidKey") or "America/Los_Angeles",
        "language": user.get("LanguageLocaleKey") or "en_US",
        "locale": user.get("LocaleSidKey") or "en_US",
        "last_modified": user.get("LastModifiedDate"),
        "urls": identity_urls(base, org.org_id, user_id),
    }


def identity_urls(base: str, org_id: str, user_id: str) -> dict[str, str]:
    """Return the ``urls`` map of identity and userinfo (``{version}`` stays literal)."""
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org_id}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org_id}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org_id}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "recent": f"{base}/services/data/v{{version}}/recent/",
        "tooling_soap": f"{base}/services/Soap/T/{{version}}/{org_id}",
        "tooling_rest": f"{base}/services/data/v{{version}}/tooling/",
        "profile": f"{base}/{user_id}",
        "users": f"{base}/services/data/v{{version}}/chatter/users",
        "custom_domain": base,
    }


async def userinfo_endpoint(request: Request) -> Response:
    """Return the OpenID Connect userinfo of the token's user."""
    session = bearer_session(request)
    if session is None:
        return _bad_token()
    profile = user_profile(request, session.user_id)
    if profile is None:
        return _bad_token()
    org_id = emulator_state(request).org.org_id
    return json_response(
        {
            "sub": profile["identity"],
            "user_id": session.user_id,
            "organization_id": org_id,
            "preferred_username": profile["username"],
            "nickname": (profile["username"] or "").split("@")[0],
            "name": profile["name"],
            "email": profile["email"],
            "email_verified": True,
            "given_name": profile["first_name"],
            "family_name": profile["last_name"],
            "zoneinfo": profile["timezone"],
            "photos": {},
            "profile": profile["urls"]["profile"],
            "picture": None,
            "address": {},
            "is_salesforce_integration_user": False,
            "urls": profile["urls"],
            "active": profile["active"],
            "user_type": profile["user_type"],
            "language": profile["language"],
            "locale": profile["locale"],
            "utcOffset": 0,
            "updated_at": profile["last_modified"],
            "is_app_installed": True,
        }
    )


async def identity_endpoint(request: Request) -> Response:
    """Return the identity document of GET /id/{orgId}/{userId}."""
    session = bearer_session(request)
    if session is None:
        return _bad_token()
    org = emulator_state(request).org
    org_id = request.path_params["org_id"]
    user_id = request.path_params["user_id"]
    profile = None
    if org_id[:15] == org.org_id[:15]:
        try:
            user_id = org.normalize_id(user_id)
        except SalesforceError:
            user_id = ""
        profile = user_profile(request, user_id) if user_id else None
    if profile is None:
        return PlainTextResponse("Bad_Id", status_code=404)
    return json_response(
        {
            "id": profile["identity"],
            "asserted_user": session.user_id == user_id,
            "user_id": user_id,
            "organization_id": org.org_id,
            "username": profile["username"],
            "nick_name": (profile["username"] or "").split("@")[0],
            "display_name": profile["name"],
            "email": profile["email"],
            "email_verified": True,
            "first_name": profile["first_name"],
            "last_name": profile["last_name"],
            "timezone": profile["timezone"],
            "photos": {},
            "addr_street": None,
            "addr_city": None,
            "addr_state": None,
            "addr_country": None,
            "addr_zip": None,
            "mobile_phone": None,
            "mobile_phone_verified": False,
            "is_lightning_login_user": False,
            "status": {"created_date": None, "body": None},
            "urls": profile["urls"],
            "active": profile["active"],
            "user_type": profile["user_type"],
            "language": profile["language"],
            "locale": profile["locale"],
            "utcOffset": 0,
            "last_modified_date": profile["last_modified"],
            "is_app_installed": True,
        }
    )


def oauth_routes() -> list[BaseRoute]:
    """Return the OAuth and identity routes."""
    return [
        Route("/services/oauth2/token", token_endpoint, methods=["POST"]),
        Route("/services/oauth2/authorize", authorize_endpoint, methods=["GET"]),
        Route("/services/oauth2/revoke", revoke_endpoint, methods=["GET", "POST"]),
        Route("/services/oauth2/userinfo", userinfo_endpoint, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity_endpoint, methods=["GET", "POST"]),
    ]
