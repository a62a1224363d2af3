"""Get and refresh Salesforce access tokens: one single-flight refresh for every flow.

Every flow posts to ``/services/oauth2/token`` and goes through the same checks: the
``instance_url`` Salesforce returns must be https and match an allowed host pattern (a forged
instance URL would otherwise receive our token), and a refresh happens at most once per stale
token however many threads saw the 401 at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx2
import jwt

from ringsync.clock import Clock, SystemClock
from ringsync.errors import AuthError, ConfigError, UnavailableError
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.responses import certificate_error, is_certificate_error

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105  # a URL path, not a password

TokenSink = Callable[[str], None]


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the instance it is valid for (the token never shows in repr)."""

    value: str = field(repr=False)
    instance_url: str


@dataclass(frozen=True)
class TokenGrant:
    """A parsed token response (secrets hidden from repr)."""

    access_token: str = field(repr=False)
    instance_url: str
    refresh_token: str | None = field(default=None, repr=False)
    identity_url: str | None = None
    issued_at: datetime | None = None
    scope: str | None = None

    @property
    def token(self) -> AccessToken:
        """Return the access token with its instance."""
        return AccessToken(self.access_token, self.instance_url)


class Authenticator(Protocol):
    """Hand out the current access token and refresh it when Salesforce says it is stale."""

    def current_token(self) -> AccessToken:
        """Return a token to use now (fetching one on first use)."""
        ...

    def refresh(self, stale_token: str) -> AccessToken:
        """Replace ``stale_token``; if another thread already did, return its result."""
        ...


class GrantAuthenticator:
    """Base of every flow: post a grant to the token endpoint under a single-flight lock."""

    def __init__(
        self, http: httpx2.Client, login_url: str, hosts: HostPolicy, *, clock: Clock | None = None
    ) -> None:
        """Post to ``login_url``'s token endpoint with ``http``; check hosts with ``hosts``."""
        self._http = http
        self._hosts = hosts
        self._login_url = hosts.check(login_url, what="login URL")
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._token: AccessToken | None = None
        self.refresh_count = 0

    def current_token(self) -> AccessToken:
        """Return the current token, fetching the first one if needed."""
        with self._lock:
            if self._token is None:
                self._token = self._grant().token
            return self._token

    def refresh(self, stale_token: str) -> AccessToken:
        """Fetch a new token unless another caller already replaced ``stale_token``."""
        with self._lock:
            if self._token is not None and self._token.value != stale_token:
                return self._token
            self._token = self._grant().token
            self.refresh_count += 1
            return self._token

    def _grant(self) -> TokenGrant:
        """Run this flow's grant and return the checked result (subclasses)."""
        raise NotImplementedError

    def _post_token(self, form: dict[str, str]) -> TokenGrant:
        """Post ``form`` to the token endpoint and parse the answer."""
        return post_token(self._http, self._login_url, form, self._hosts)


def post_token(
    http: httpx2.Client, login_url: str, form: dict[str, str], hosts: HostPolicy
) -> TokenGrant:
    """Post a grant to ``login_url``'s token endpoint; map failures to safe errors."""
    grant_type = form.get("grant_type", "")
    try:
        response = http.post(
            login_url.rstrip("/") + TOKEN_PATH,
            data=form,
            headers={"Accept": "application/json"},
        )
    except httpx2.TransportError as exc:
        if is_certificate_error(exc):
            raise certificate_error(urlsplit(login_url).netloc, "oauth2/token") from exc
        raise UnavailableError(
            "Salesforce's token endpoint could not be reached", grant_type=grant_type
        ) from exc
    body = _json_or_none(response)
    if response.status_code >= 500:
        raise UnavailableError(
            f"Salesforce's token endpoint failed (HTTP {response.status_code})",
            status=response.status_code,
            grant_type=grant_type,
        )
    if response.status_code != 200 or not isinstance(body, dict):
        error = str(body.get("error", "")) if isinstance(body, dict) else ""
        description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        raise AuthError(
            f"Salesforce refused the {grant_type or 'token'} grant: "
            f"{error or 'HTTP ' + str(response.status_code)}"
            + (f" ({description})" if description else "")
            + ". Reconnect Salesforce on the Salesforce tab.",
            status=response.status_code,
            error_code=error or None,
            grant_type=grant_type,
            needs_reauth=True,
        )
    return parse_token_response(body, hosts)


def parse_token_response(body: dict[str, Any], hosts: HostPolicy) -> TokenGrant:
    """Parse a token response and check its instance URL against the allowed hosts."""
    access_token = body.get("access_token")
    instance_url = body.get("instance_url")
    if not isinstance(access_token, str) or not isinstance(instance_url, str):
        raise AuthError("Salesforce's token response lacks an access token or instance URL")
    issued_at: datetime | None = None
    raw_issued = body.get("issued_at")
    if isinstance(raw_issued, str) and raw_issued.isdigit():
        issued_at = datetime.fromtimestamp(int(raw_issued) / 1000, tz=UTC)
    refresh = body.get("refresh_token")
    return TokenGrant(
        access_token=access_token,
        instance_url=hosts.check(instance_url),
        refresh_token=refresh if isinstance(refresh, str) else None,
        identity_url=body.get("id") if isinstance(body.get("id"), str) else None,
        issued_at=issued_at,
        scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
    )


def _json_or_none(response: httpx2.Response) -> Any:
    """Return the response's JSON, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


class OAuthRefreshAuth(GrantAuthenticator):
    """Use a stored refresh token; persist a rotated one BEFORE using the new access token."""

    def __init__(
        self,
        http: httpx2.Client,
        login_url: str,
        hosts: HostPolicy,
        *,
        client_id: str,
        client_secret: str | None,
        refresh_token: str,
        token_sink: TokenSink,
        access_token: AccessToken | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Start from a refresh token (and optionally a still-valid access token)."""
        super().__init__(http, login_url, hosts, clock=clock)
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._sink = token_sink
        self._token = access_token

    def _grant(self) -> TokenGrant:
        """Run the refresh_token grant and save a rotated refresh token first."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
        }
        if self._client_secret:
            form["client_secret"] = self._client_secret
        grant = self._post_token(form)
        if grant.refresh_token and grant.refresh_token != self._refresh_token:
            # The old refresh token is already dead: keep the new one in memory even if saving
            # fails, and do not hand out the new access token until the save succeeded.
            self._refresh_token = grant.refresh_token
            try:
                self._sink(grant.refresh_token)
            except Exception as exc:
                raise AuthError(
                    "Salesforce rotated the refresh token but it could not be saved; "
                    "the connection may need to be reconnected."
                ) from exc
        return grant


class PasswordAuth(GrantAuthenticator):
    """Use the username-password grant (the demo and sfemu; blocked in many real orgs)."""

    def __init__(
        self,
        http: httpx2.Client,
        login_url: str,
        hosts: HostPolicy,
        *,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        clock: Clock | None = None,
    ) -> None:
        """Log in as ``username`` through the connected app ``client_id``."""
        super().__init__(http, login_url, hosts, clock=clock)
        self._form = {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        }

    def _grant(self) -> TokenGrant:
        """Run the password grant."""
        return self._post_token(dict(self._form))


class ClientCredentialsAuth(GrantAuthenticator):
    """Use the client-credentials grant (must go to the My Domain host, not login.)."""

    def __init__(
        self,
        http: httpx2.Client,
        my_domain_url: str,
        hosts: HostPolicy,
        *,
        client_id: str,
        client_secret: str,
        clock: Clock | None = None,
    ) -> None:
        """Authenticate the connected app itself; it runs as its configured user."""
        super().__init__(http, my_domain_url, hosts, clock=clock)
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }

    def _grant(self) -> TokenGrant:
        """Run the client_credentials grant."""
        return self._post_token(dict(self._form))


JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class JwtBearerAuth(GrantAuthenticator):
    """Sign a short-lived RS256 assertion with the connected app's certificate key."""

    def __init__(
        self,
        http: httpx2.Client,
        login_url: str,
        hosts: HostPolicy,
        *,
        client_id: str,
        username: str,
        private_key: str | bytes,
        audience: str | None = None,
        lifetime: timedelta = timedelta(minutes=3),
        clock: Clock | None = None,
    ) -> None:
        """Assert ``username`` for app ``client_id``; ``audience`` defaults to the login URL."""
        super().__init__(http, login_url, hosts, clock=clock)
        self._client_id = client_id
        self._username = username
        self._key = private_key
        self._audience = audience or self._login_url
        self._lifetime = lifetime

    def assertion(self) -> str:
        """Return a signed assertion: iss=client id, sub=username, aud, exp=now+lifetime."""
        expires = self._clock.now() + self._lifetime
        claims = {
            "iss": self._client_id,
            "sub": self._username,
            "aud": self._audience,
            "exp": int(expires.timestamp()),
        }
        try:
            return jwt.encode(claims, self._key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise ConfigError("The JWT private key is not a valid RSA private key") from exc

    def _grant(self) -> TokenGrant:
        """Run the JWT bearer grant."""
        return self._post_token({"grant_type": JWT_GRANT, "assertion": self.assertion()})


__all__ = [
    "AccessToken",
    "Authenticator",
    "ClientCredentialsAuth",
    "GrantAuthenticator",
    "JwtBearerAuth",
    "OAuthRefreshAuth",
    "PasswordAuth",
    "TokenGrant",
    "TokenSink",
    "parse_token_response",
    "post_token",
]
