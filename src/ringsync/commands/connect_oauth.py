"""``ringsync connect --method oauth``: sign in through a browser (authorization code + PKCE).

The command listens once on 127.0.0.1 as the redirect URI, prints the authorize URL (and opens
a browser unless told not to), waits for the redirect, checks the one-time state, trades the
code and its PKCE verifier for tokens and stores the refresh token encrypted, in the same shape
the admin page's "Connect Salesforce" stores. Any failure is one line and stores nothing.
"""

from __future__ import annotations

import hmac
import re
import secrets
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
import typer
from sqlalchemy.exc import SQLAlchemyError

from ringsync.commands.exits import describe, fail, open_store
from ringsync.domain.accounts import get_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    save_connection,
    spec_problems,
)
from ringsync.errors import RingsyncError, TransientError
from ringsync.salesforce.auth import TokenGrant
from ringsync.salesforce.authorize import AuthorizeRequest, build_authorize_url, exchange_code
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.loopback import Callback, CallbackListener
from ringsync.salesforce.tokens import TokenCipher
from ringsync.settings import Settings

DEFAULT_WAIT_SECONDS = 300.0
_SAFE_REASON = re.compile(r"[^A-Za-z0-9_ .-]")


@dataclass(frozen=True)
class OAuthSignIn:
    """What ``connect --method oauth`` was asked to do."""

    account_id: int
    login_url: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    port: int = 0
    browser: bool = True
    wait_seconds: float = DEFAULT_WAIT_SECONDS


def open_browser(url: str) -> bool:
    """Ask the system's browser to open ``url``; return False (never raise) if there is none."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def identity_ids(identity_url: str | None) -> dict[str, str]:
    """Return the org and user ids from a token response's identity URL (``.../id/ORG/USER``)."""
    if not identity_url:
        return {}
    parts = identity_url.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "id":
        return {"org_id": parts[-2][:18], "user_id": parts[-1][:18]}
    return {}


def _listen(port: int) -> CallbackListener:
    try:
        return CallbackListener(port)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise fail(f"cannot listen on 127.0.0.1:{port} for the sign-in: {reason}") from None


def _code_from(callback: Callback | None, request: AuthorizeRequest, wait_seconds: float) -> str:
    """Return the authorization code, or end the command with why there is none."""
    if callback is None:
        raise fail(
            f"no sign-in came back within {wait_seconds:g} s; nothing was stored "
            "(run the command again, or raise --timeout)"
        )
    state = callback.get("state") or ""
    if not hmac.compare_digest(state.encode(), request.state.encode()):
        raise fail(
            "the sign-in came back with a state this command did not send (an old or a "
            "foreign sign-in); nothing was stored"
        )
    error = callback.get("error")
    code = callback.get("code")
    if error or not code:
        reason = _SAFE_REASON.sub("", error or "no code")[:80] or "unknown"
        raise fail(f"Salesforce did not grant access ({reason}); nothing was stored")
    return code


def _exchange(
    sign_in: OAuthSignIn,
    request: AuthorizeRequest,
    code: str,
    redirect_uri: str,
    *,
    hosts: HostPolicy,
    open_http: Callable[[], httpx2.Client],
) -> TokenGrant:
    try:
        with open_http() as http:
            return exchange_code(
                http,
                sign_in.login_url,
                hosts=hosts,
                client_id=sign_in.client_id,
                client_secret=sign_in.client_secret,
                code=code,
                code_verifier=request.code_verifier,
                redirect_uri=redirect_uri,
            )
    except TransientError as exc:
        raise fail(f"{exc.message}; nothing was stored (run the command again)") from None
    except RingsyncError as exc:
        raise fail(f"{describe(exc)}; nothing was stored") from None


def _spec(sign_in: OAuthSignIn, grant: TokenGrant, hosts: HostPolicy) -> ConnectionSpec:
    """Return the connection to store: the admin page's shape (refresh token, ids, secret)."""
    if not grant.refresh_token:
        raise fail(
            "Salesforce sent no refresh token (give the connected app the refresh_token "
            "scope); nothing was stored"
        )
    stored: dict[str, str] = {"refresh_token": grant.refresh_token}
    if sign_in.client_secret:
        stored["client_secret"] = sign_in.client_secret
    stored.update(identity_ids(grant.identity_url))
    spec = ConnectionSpec(
        ConnectionMethod.OAUTH,
        hosts.check(sign_in.login_url, what="login URL"),
        sign_in.client_id,
        None,
        stored,
    )
    problems = spec_problems(spec, hosts)
    if problems:
        details = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        raise fail(f"Salesforce's answer cannot be used ({details}); nothing was stored")
    return spec


def run_oauth(
    sign_in: OAuthSignIn,
    settings: Settings,
    hosts: HostPolicy,
    cipher: TokenCipher,
    *,
    open_http: Callable[[], httpx2.Client],
) -> None:
    """Sign in through the browser, then store the connection (or end with one clear line)."""
    with open_store(settings, migrate=True) as database:
        try:
            with database.read() as session:
                get_account(session, sign_in.account_id)
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        with _listen(sign_in.port) as listener:
            redirect_uri = listener.redirect_uri
            try:
                request = build_authorize_url(
                    sign_in.login_url,
                    sign_in.client_id,
                    redirect_uri,
                    secrets.token_urlsafe(32),
                    hosts=hosts,
                )
            except RingsyncError as exc:
                raise fail(describe(exc)) from None
            typer.echo(
                f"Sign in to Salesforce in a browser (waiting up to "
                f"{sign_in.wait_seconds:g} s for the redirect to {redirect_uri}):"
            )
            typer.echo(request.url)
            if sign_in.browser and not open_browser(request.url):
                typer.echo("No browser could be opened; open the URL above yourself.", err=True)
            callback = listener.wait(sign_in.wait_seconds)
        code = _code_from(callback, request, sign_in.wait_seconds)
        grant = _exchange(sign_in, request, code, redirect_uri, hosts=hosts, open_http=open_http)
        spec = _spec(sign_in, grant, hosts)
        try:
            with database.write() as session:
                save_connection(
                    session,
                    sign_in.account_id,
                    spec,
                    cipher,
                    state=ConnectionState.CONNECTED,
                    instance_url=grant.instance_url,
                )
        except RingsyncError as exc:
            raise fail(describe(exc)) from None
        except SQLAlchemyError as exc:
            raise fail(f"cannot store the connection: {type(exc).__name__}") from None
    org = spec.secrets.get("org_id")
    where = f"{grant.instance_url} (org {org})" if org else grant.instance_url
    typer.echo(
        f"Connected account {sign_in.account_id} to {where} with oauth; "
        "refresh token stored encrypted."
    )


__all__ = ["OAuthSignIn", "identity_ids", "open_browser", "run_oauth"]
