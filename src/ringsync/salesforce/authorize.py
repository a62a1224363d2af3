"""The admin page's "Connect Salesforce": OAuth authorization code with PKCE (S256).

The verifier never leaves the server: keep it with the one-time ``state`` in the admin's
session, and hand both back to :func:`exchange_code` on the callback.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx2

from ringsync.salesforce.auth import TokenGrant, post_token
from ringsync.salesforce.hosts import HostPolicy

AUTHORIZE_PATH = "/services/oauth2/authorize"


@dataclass(frozen=True)
class AuthorizeRequest:
    """Where to send the admin's browser, and the verifier to keep server-side."""

    url: str
    state: str
    code_verifier: str = field(repr=False)


def pkce_challenge(verifier: str) -> str:
    """Return the S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_authorize_url(
    login_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    *,
    hosts: HostPolicy,
    scope: str | None = "api refresh_token",
) -> AuthorizeRequest:
    """Return the authorize URL with a fresh PKCE S256 challenge and its verifier."""
    base = hosts.check(login_url, what="login URL")
    verifier = secrets.token_urlsafe(64)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if scope:
        params["scope"] = scope
    return AuthorizeRequest(
        url=f"{base}{AUTHORIZE_PATH}?{urlencode(params)}", state=state, code_verifier=verifier
    )


def exchange_code(
    http: httpx2.Client,
    login_url: str,
    *,
    hosts: HostPolicy,
    client_id: str,
    client_secret: str | None,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> TokenGrant:
    """Trade an authorization code (plus its PKCE verifier) for tokens."""
    base = hosts.check(login_url, what="login URL")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    if client_secret:
        form["client_secret"] = client_secret
    return post_token(http, base, form, hosts)


__all__ = ["AuthorizeRequest", "build_authorize_url", "exchange_code", "pkce_challenge"]
