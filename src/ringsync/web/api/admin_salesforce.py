"""Reach an account's Salesforce org from the web app, from its stored (encrypted) connection.

One :class:`SalesforceAccess` per app holds the HTTP client, the allowed-host policy and the
token cipher, and keeps one :class:`SalesforceClient` per account so the API budget and the
access token carry over between requests. The connection itself (method, login URL, secrets
encrypted) is :mod:`ringsync.domain.connections`' business; this module only wires it.

When Salesforce refuses the stored login itself (``invalid_grant`` on the refresh token and the
like), the access records it on the connection (state ``needs_reauth`` with Salesforce's error
and the time), so the admin page, the integration API and ``ringsync status`` say to reconnect;
a later successful grant or a reconnect clears it. Transient failures of the token endpoint
(5xx, timeouts) are not recorded: they are retried.

Tests (and the demo) put their own access on ``app.state.ringsync_salesforce`` before the first
request, for example one whose HTTP client reaches sfemu in process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx2
from fastapi import Request

from ringsync.clock import Clock
from ringsync.domain.connections import (
    ConnectionSpec,
    ConnectionState,
    authenticator_for,
    cipher_for,
    clear_needs_reauth,
    get_connection,
    is_refused_login,
    load_spec,
    mark_needs_reauth,
    save_secret,
)
from ringsync.errors import AuthError, ConfigError, RingsyncError
from ringsync.salesforce.auth import AccessToken, Authenticator
from ringsync.salesforce.budget import ApiBudget, BudgetSnapshot
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.deps import get_context

log = logging.getLogger(__name__)

REVOKE_PATH = "/services/oauth2/revoke"
STATE_ATTRIBUTE = "ringsync_salesforce"


class NotConnectedError(ConfigError):
    """The account has no Salesforce connection yet."""

    code = "salesforce_not_connected"


NOT_CONNECTED = "Salesforce is not connected for this account: connect it on the Salesforce tab"


class _MissingConnection:
    """An authenticator for an account with no connection: every call says how to fix it."""

    def current_token(self) -> AccessToken:
        """Refuse: there is nothing to authenticate with."""
        raise NotConnectedError(NOT_CONNECTED)

    def refresh(self, stale_token: str) -> AccessToken:
        """Refuse: there is nothing to authenticate with."""
        del stale_token
        raise NotConnectedError(NOT_CONNECTED)


class _RecordingAuth:
    """Wrap an account's authenticator: a refused login marks the connection, a grant clears it.

    Only grants go through here (an API call's 401 is the request path's business), so this
    adds no request to Salesforce; it writes the connection's state, never a secret.
    """

    def __init__(
        self,
        inner: Authenticator,
        *,
        refused: Callable[[AuthError], None],
        granted: Callable[[], None],
    ) -> None:
        self._inner = inner
        self._refused = refused
        self._granted = granted
        self._seen: str | None = None

    def current_token(self) -> AccessToken:
        """Return the inner authenticator's token, recording a refusal or a fresh grant."""
        return self._watch(self._inner.current_token)

    def refresh(self, stale_token: str) -> AccessToken:
        """Refresh through the inner authenticator, recording a refusal or a fresh grant."""
        return self._watch(lambda: self._inner.refresh(stale_token))

    def _watch(self, call: Callable[[], AccessToken]) -> AccessToken:
        try:
            token = call()
        except AuthError as exc:
            if is_refused_login(exc):
                self._refused(exc)
            raise
        if token.value != self._seen:  # a new access token: a grant just succeeded
            self._seen = token.value
            self._granted()
        return token


@dataclass
class _Cached:
    connected_at: datetime | None
    client: SalesforceClient


class SalesforceAccess:
    """Build and keep each account's Salesforce client from its stored connection."""

    def __init__(
        self,
        *,
        http: httpx2.Client,
        hosts: HostPolicy,
        cipher: Callable[[], TokenCipher],
        clock: Clock,
        retry: RetryPolicy | None = None,
        owns_http: bool = False,
    ) -> None:
        """Use ``http`` for every call; ``cipher`` is asked for only when a secret is touched."""
        self.http = http
        self.hosts = hosts
        self.clock = clock
        self._cipher_factory = cipher
        self._cipher: TokenCipher | None = None
        self._retry = retry or RetryPolicy(max_attempts=3, total_time=20.0)
        self._owns_http = owns_http
        self._lock = threading.Lock()
        self._clients: dict[int, _Cached] = {}

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> SalesforceAccess:
        """Build the production access: a fresh HTTP client, the configured hosts and keys."""
        return cls(
            http=httpx2.Client(timeout=60.0),
            hosts=HostPolicy.from_settings(settings),
            cipher=lambda: cipher_for(settings),
            clock=clock,
            owns_http=True,
        )

    @property
    def cipher(self) -> TokenCipher:
        """Return the token cipher (a ConfigError says how to set the keys when none are)."""
        if self._cipher is None:
            self._cipher = self._cipher_factory()
        return self._cipher

    def spec(self, database: Database, account_id: int) -> ConnectionSpec:
        """Return the account's connection with its secrets, or raise NotConnectedError."""
        with database.read() as session:
            if connection_repo.get(session, account_id) is None:
                raise NotConnectedError(NOT_CONNECTED, account_id=account_id)
            return load_spec(session, account_id, self.cipher)

    def client(self, database: Database, account_id: int) -> SalesforceClient:
        """Return the account's client; without a connection, one whose calls say so."""
        with database.read() as session:
            row = connection_repo.get(session, account_id)
        if row is None:
            return self.offline_client()
        with self._lock:
            cached = self._clients.get(account_id)
            if cached is not None and cached.connected_at == row.connected_at:
                return cached.client
        auth = authenticator_for(
            self.spec(database, account_id),
            self.http,
            self.hosts,
            clock=self.clock,
            token_sink=self._sink(database, account_id),
        )
        built = self._build(self._recording(auth, database, account_id, row.connected_at))
        with self._lock:
            self._clients[account_id] = _Cached(row.connected_at, built)
        return built

    def offline_client(self) -> SalesforceClient:
        """Return a client for work that must not call Salesforce (every call is refused)."""
        return self._build(_MissingConnection())

    def forget(self, account_id: int) -> None:
        """Drop the account's cached client (after a disconnect or reconnect)."""
        with self._lock:
            self._clients.pop(account_id, None)

    def budget(self, account_id: int) -> BudgetSnapshot | None:
        """Return the API budget of the account's client, if one was used since start."""
        with self._lock:
            cached = self._clients.get(account_id)
        return cached.client.budget_snapshot if cached is not None else None

    def close(self) -> None:
        """Close the HTTP client when this access created it."""
        if self._owns_http:
            self.http.close()

    def _build(self, auth: Authenticator) -> SalesforceClient:
        return SalesforceClient(
            self.http, auth, retry=self._retry, budget=ApiBudget(self.clock), clock=self.clock
        )

    def _sink(self, database: Database, account_id: int) -> Callable[[str], None]:
        def save_rotated(refresh_token: str) -> None:
            with database.write() as session:
                save_secret(session, account_id, self.cipher, "refresh_token", refresh_token)

        return save_rotated

    def _recording(
        self,
        auth: Authenticator,
        database: Database,
        account_id: int,
        connected_at: datetime | None,
    ) -> Authenticator:
        def refused(exc: AuthError) -> None:
            try:
                with database.write() as session:
                    marked = mark_needs_reauth(
                        session,
                        account_id,
                        error=exc.message,
                        connected_at=connected_at,
                        clock=self.clock,
                    )
            except Exception:  # the refusal itself must reach the caller, not this failure
                log.warning(
                    "could not record that account %s needs re-authorization",
                    account_id,
                    exc_info=True,
                )
                return
            if marked:
                log.warning(
                    "Salesforce refused the stored login of account %s (%s): it needs reconnecting",
                    account_id,
                    exc.context.get("error_code") or exc.context.get("status"),
                )

        def granted() -> None:
            try:
                with database.read() as session:
                    view = get_connection(session, account_id)
                if view is None or view.state != ConnectionState.NEEDS_REAUTH:
                    return
                with database.write() as session:
                    clear_needs_reauth(
                        session, account_id, connected_at=connected_at, clock=self.clock
                    )
            except Exception:  # a working login must not fail over its status line
                log.warning(
                    "could not clear the re-authorization mark of account %s",
                    account_id,
                    exc_info=True,
                )

        return _RecordingAuth(auth, refused=refused, granted=granted)

    def revoke(self, spec: ConnectionSpec) -> bool:
        """Ask Salesforce to revoke the stored refresh token; tell whether it did."""
        token = spec.secrets.get("refresh_token")
        if not token:
            return False
        try:
            base = self.hosts.check(spec.login_url, what="login URL")
            response = self.http.post(base + REVOKE_PATH, data={"token": token})
        except (RingsyncError, httpx2.HTTPError):
            return False
        return response.status_code == 200


def salesforce_access(request: Request) -> SalesforceAccess:
    """Return the app's Salesforce access, building the production one on first use."""
    state = request.app.state
    found = getattr(state, STATE_ATTRIBUTE, None)
    if isinstance(found, SalesforceAccess):
        return found
    ctx = get_context(request)
    built = SalesforceAccess.from_settings(ctx.settings, ctx.clock)
    setattr(state, STATE_ATTRIBUTE, built)
    return built


__all__ = ["NOT_CONNECTED", "NotConnectedError", "SalesforceAccess", "salesforce_access"]
