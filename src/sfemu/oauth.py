"""Sessions, refresh tokens, authorization codes and connected apps of one emulator.

The HTTP endpoints that use these live in :mod:`sfemu.oauth_routes`. Access tokens look like
real ones (``00D<orgId15>!<opaque>``) and expire after ``session_seconds`` of inactivity, as
Salesforce sessions do; "now" always comes from the caller (the org's clock), so tests can
move time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

DEFAULT_CLIENT_ID = "sfemu-client"
DEFAULT_CLIENT_SECRET = "sfemu-secret"  # noqa: S105 -- the emulator's documented demo secret
CODE_LIFETIME = timedelta(minutes=15)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass
class ConnectedApp:
    """A connected app: consumer key/secret, redirect URIs, JWT key and run-as user."""

    client_id: str
    client_secret: str
    name: str = "sfemu Connected App"
    redirect_uris: list[str] = field(default_factory=list)
    jwt_public_key: str | None = None
    run_as_user_id: str | None = None

    def allows_redirect(self, redirect_uri: str) -> bool:
        """Tell whether the app may redirect to ``redirect_uri`` (localhost is always allowed)."""
        if redirect_uri in self.redirect_uris:
            return True
        parts = urlsplit(redirect_uri)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS

    def check_secret(self, secret: str | None) -> bool:
        """Compare a presented client secret in constant time."""
        return secret is not None and hmac.compare_digest(secret, self.client_secret)

    def sign(self, identity_url: str, issued_at: str) -> str:
        """Return the token response ``signature``: base64 HMAC-SHA256 of id + issued_at."""
        digest = hmac.new(
            self.client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256
        ).digest()
        return base64.b64encode(digest).decode()

    def as_dict(self) -> dict[str, Any]:
        """Return the app as the admin API shows it (without the secret)."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "jwt": self.jwt_public_key is not None,
            "run_as_user_id": self.run_as_user_id,
        }


@dataclass
class Session:
    """One access token's session."""

    token: str
    user_id: str
    client_id: str
    scope: str
    expires_at: datetime
    lifetime: timedelta
    refresh_token: str | None = None


@dataclass
class RefreshGrant:
    """What a refresh token stands for."""

    token: str
    user_id: str
    client_id: str
    scope: str


@dataclass
class CodeGrant:
    """An authorization code waiting to be exchanged (single use)."""

    code: str
    user_id: str
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def verifier_ok(self, verifier: str | None) -> bool:
        """Check a PKCE code verifier against the stored challenge (S256 or plain)."""
        if self.code_challenge is None:
            return True
        if not verifier:
            return False
        if self.code_challenge_method == "S256":
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        else:
            computed = verifier
        return hmac.compare_digest(computed, self.code_challenge)


class TokenStore:
    """Every live credential of one emulator, and its connected-app registry."""

    def __init__(self, org_id: str, *, default_run_as: str | None = None) -> None:
        """Start with the default connected app (``sfemu-client`` / ``sfemu-secret``)."""
        self.org_prefix = org_id[:15]
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.codes: dict[str, CodeGrant] = {}
        self.apps: dict[str, ConnectedApp] = {}
        self.security_tokens: dict[str, str] = {}
        self.register_app(
            ConnectedApp(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, run_as_user_id=default_run_as)
        )

    # --- connected apps -----------------------------------------------------------------
    def register_app(self, app: ConnectedApp) -> ConnectedApp:
        """Add or replace a connected app."""
        self.apps[app.client_id] = app
        return app

    def app(self, client_id: str | None) -> ConnectedApp | None:
        """Return the connected app with this consumer key, or None."""
        return self.apps.get(client_id) if client_id else None

    # --- sessions -------------------------------------------------------------------------
    def issue_session(
        self,
        user_id: str,
        client_id: str,
        scope: str,
        now: datetime,
        lifetime_seconds: int,
        *,
        refresh_token: str | None = None,
    ) -> Session:
        """Create an access token for ``user_id``."""
        token = f"{self.org_prefix}!{secrets.token_urlsafe(48)}"
        lifetime = timedelta(seconds=lifetime_seconds)
        session = Session(token, user_id, client_id, scope, now + lifetime, lifetime, refresh_token)
        self.sessions[token] = session
        return session

    def validate(self, token: str, now: datetime) -> Session | None:
        """Return the live session of ``token`` (extending it, as activity does), or None."""
        session = self.sessions.get(token)
        if session is None:
            return None
        if now >= session.expires_at:
            del self.sessions[token]
            return None
        session.expires_at = now + session.lifetime
        return session

    def expire(self, token: str) -> None:
        """End one session at once."""
        self.sessions.pop(token, None)

    def expire_all(self) -> int:
        """End every session; return how many there were (refresh tokens stay valid)."""
        count = len(self.sessions)
        self.sessions.clear()
        return count

    # --- refresh tokens ---------------------------------------------------------------
    def issue_refresh(self, user_id: str, client_id: str, scope: str) -> RefreshGrant:
        """Create a refresh token."""
        grant = RefreshGrant(f"5Aep861{secrets.token_urlsafe(48)}", user_id, client_id, scope)
        self.refresh_tokens[grant.token] = grant
        return grant

    def refresh_grant(self, token: str | None) -> RefreshGrant | None:
        """Return what a refresh token stands for, or None when unknown or revoked."""
        return self.refresh_tokens.get(token) if token else None

    def drop_refresh(self, token: str) -> None:
        """Invalidate a refresh token (rotation)."""
        self.refresh_tokens.pop(token, None)

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; a refresh token takes its sessions along."""
        if token in self.sessions:
            del self.sessions[token]
            return True
        if token in self.refresh_tokens:
            del self.refresh_tokens[token]
            for key in [k for k, s in self.sessions.items() if s.refresh_token == token]:
                del self.sessions[key]
            return True
        return False

    # --- authorization codes ------------------------------------------------------------
    def issue_code(
        self,
        *,
        user_id: str,
        client_id: str,
        redirect_uri: str,
        scope: str,
        now: datetime,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> CodeGrant:
        """Create a single-use authorization code."""
        grant = CodeGrant(
            code=f"aPrx{secrets.token_urlsafe(32)}",
            user_id=user_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            expires_at=now + CODE_LIFETIME,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )
        self.codes[grant.code] = grant
        return grant

    def take_code(self, code: str | None, now: datetime) -> CodeGrant | None:
        """Remove and return a live code (so it can never be used twice), or None."""
        grant = self.codes.pop(code, None) if code else None
        if grant is None or now >= grant.expires_at:
            return None
        return grant

    def password_matches(
        self, user_id: str, presented: str, check: Callable[[str, str], bool]
    ) -> bool:
        """Check a password, with the user's security token appended when one is set.

        ``check`` is ``org.check_password``. A user without a security token logs in with
        the bare password.
        """
        token = self.security_tokens.get(user_id)
        if token and presented.endswith(token) and check(user_id, presented[: -len(token)]):
            return True
        return check(user_id, presented)
