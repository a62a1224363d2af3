"""Salesforce connections: check a login, keep it with its secrets encrypted, rebuild its auth.

An operator connects an account once (``ringsync connect``); every worker later rebuilds the
same authenticator from the stored row and the encryption keys. Secrets are encrypted with
``TokenCipher`` before they reach the store and are never part of a view, a repr or a message.
Access tokens are not stored: every process gets its own with the stored credentials.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import orjson
from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.errors import AuthError, ConfigError, NotFoundError, Problem, ValidationError
from ringsync.salesforce.auth import (
    AccessToken,
    ClientCredentialsAuth,
    GrantAuthenticator,
    JwtBearerAuth,
    OAuthRefreshAuth,
    PasswordAuth,
    TokenSink,
)
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings, require_secrets
from ringsync.store.repositories import accounts as account_repo
from ringsync.store.repositories import connections as repo

log = logging.getLogger(__name__)

DEMO_KEY_FILE = "demo-encryption.key"
GENERIC_LOGIN_HOSTS = frozenset({"login.salesforce.com", "test.salesforce.com"})


class ConnectionMethod(StrEnum):
    """The non-interactive OAuth flows an operator can set up from the command line."""

    JWT = "jwt"
    CLIENT_CREDENTIALS = "client_credentials"
    PASSWORD = "password"  # noqa: S105  # the grant's name, not a password
    OAUTH = "oauth"  # the admin page's authorization-code sign-in; keeps a refresh token


class ConnectionState(StrEnum):
    """What the last check of a connection found."""

    CONNECTED = "connected"
    UNTESTED = "untested"
    FAILED = "failed"
    # Salesforce refused the stored login itself (e.g. invalid_grant on a refresh token): only
    # a reconnect (or a later grant that succeeds) clears it; a transient failure never sets it.
    NEEDS_REAUTH = "needs_reauth"


_NEEDS: dict[ConnectionMethod, tuple[str, ...]] = {
    ConnectionMethod.JWT: ("username", "private_key"),
    ConnectionMethod.CLIENT_CREDENTIALS: ("client_secret",),
    ConnectionMethod.PASSWORD: ("username", "client_secret", "password"),
    ConnectionMethod.OAUTH: ("refresh_token",),
}


@dataclass(frozen=True)
class ConnectionSpec:
    """Everything needed to log in; ``secrets`` holds client_secret, private_key or password."""

    method: ConnectionMethod
    login_url: str
    client_id: str
    username: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ConnectionView:
    """What may be shown of a stored connection (no secret)."""

    account_id: int
    method: str
    login_url: str
    client_id: str
    username: str | None
    instance_url: str | None
    state: str
    last_error: str | None
    connected_at: str | None
    checked_at: str | None


def _view(row: repo.ConnectionRow) -> ConnectionView:
    return ConnectionView(
        account_id=row.account_id,
        method=row.method,
        login_url=row.login_url,
        client_id=row.client_id,
        username=row.username,
        instance_url=row.instance_url,
        state=row.state,
        last_error=row.last_error,
        connected_at=row.connected_at.isoformat() if row.connected_at else None,
        checked_at=row.checked_at.isoformat() if row.checked_at else None,
    )


def target_problems(spec: ConnectionSpec, hosts: HostPolicy) -> list[Problem]:
    """List what is wrong with where and as whom the spec logs in (no secret looked at)."""
    problems: list[Problem] = []
    try:
        hosts.check(spec.login_url, what="login URL")
    except AuthError as exc:
        problems.append(Problem("login_url", exc.message, "bad_host"))
    host = (urlsplit(spec.login_url).hostname or "").lower()
    if spec.method is ConnectionMethod.CLIENT_CREDENTIALS and host in GENERIC_LOGIN_HOSTS:
        problems.append(
            Problem(
                "login_url",
                f"the client-credentials flow must use the org's My Domain URL "
                f"(https://<domain>.my.salesforce.com), not {host}",
                "my_domain_required",
            )
        )
    if not spec.client_id.strip():
        problems.append(Problem("client_id", "the connected app's client id is required"))
    if "username" in _NEEDS[spec.method] and not (spec.username or "").strip():
        problems.append(Problem("username", f"{spec.method.value} needs username", "required"))
    return problems


def spec_problems(spec: ConnectionSpec, hosts: HostPolicy) -> list[Problem]:
    """List everything wrong with ``spec`` before any network call."""
    problems = target_problems(spec, hosts)
    for name in _NEEDS[spec.method]:
        if name != "username" and not (spec.secrets.get(name) or "").strip():
            problems.append(Problem(name, f"{spec.method.value} needs {name}", "required"))
    return problems


def authenticator_for(
    spec: ConnectionSpec,
    http: httpx2.Client,
    hosts: HostPolicy,
    *,
    clock: Clock | None = None,
    token_sink: TokenSink | None = None,
) -> GrantAuthenticator:
    """Build the authenticator the spec's method calls for (raise ValidationError if unusable).

    The oauth method needs ``token_sink`` to keep a rotated refresh token (see `save_secret`).
    """
    problems = spec_problems(spec, hosts)
    if problems:
        raise ValidationError("the Salesforce connection is incomplete", problems)
    secrets = spec.secrets
    if spec.method is ConnectionMethod.OAUTH:
        if token_sink is None:
            raise ConfigError("an oauth connection needs somewhere to keep a rotated refresh token")
        return OAuthRefreshAuth(
            http,
            spec.login_url,
            hosts,
            client_id=spec.client_id,
            client_secret=secrets.get("client_secret") or None,
            refresh_token=secrets["refresh_token"],
            token_sink=token_sink,
            clock=clock,
        )
    if spec.method is ConnectionMethod.JWT:
        auth = JwtBearerAuth(
            http,
            spec.login_url,
            hosts,
            client_id=spec.client_id,
            username=spec.username or "",
            private_key=secrets["private_key"],
            clock=clock,
        )
        auth.assertion()  # a key that cannot sign fails here, before any network call
        return auth
    if spec.method is ConnectionMethod.CLIENT_CREDENTIALS:
        return ClientCredentialsAuth(
            http,
            spec.login_url,
            hosts,
            client_id=spec.client_id,
            client_secret=secrets["client_secret"],
            clock=clock,
        )
    return PasswordAuth(
        http,
        spec.login_url,
        hosts,
        client_id=spec.client_id,
        client_secret=secrets["client_secret"],
        username=spec.username or "",
        password=secrets["password"],
        clock=clock,
    )


def check_login(
    spec: ConnectionSpec, http: httpx2.Client, hosts: HostPolicy, *, clock: Clock | None = None
) -> AccessToken:
    """Log in once with ``spec`` and return the token (AuthError/UnavailableError on failure)."""
    return authenticator_for(spec, http, hosts, clock=clock).current_token()


def _require_account(session: Session, account_id: int) -> None:
    if account_repo.get(session, account_id) is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)


def save_connection(
    session: Session,
    account_id: int,
    spec: ConnectionSpec,
    cipher: TokenCipher,
    *,
    state: ConnectionState,
    instance_url: str | None = None,
    clock: Clock | None = None,
) -> ConnectionView:
    """Store (or replace) the account's connection with its secrets encrypted."""
    _require_account(session, account_id)
    now = (clock or SystemClock()).now()
    blob = cipher.encrypt(orjson.dumps(dict(spec.secrets)).decode())
    row = repo.ConnectionRow(
        account_id=account_id,
        method=spec.method.value,
        login_url=spec.login_url.rstrip("/"),
        client_id=spec.client_id,
        username=spec.username,
        instance_url=instance_url,
        credentials=blob,
        state=state.value,
        last_error=None,
        connected_at=now,
        checked_at=now if state is not ConnectionState.UNTESTED else None,
    )
    repo.put(session, row)
    return _view(row)


def get_connection(session: Session, account_id: int) -> ConnectionView | None:
    """Return what may be shown of the account's connection, or None."""
    row = repo.get(session, account_id)
    return _view(row) if row is not None else None


def list_connections(session: Session) -> list[ConnectionView]:
    """Return every account's connection (no secrets)."""
    return [_view(row) for row in repo.list_all(session)]


def load_spec(session: Session, account_id: int, cipher: TokenCipher) -> ConnectionSpec:
    """Rebuild the account's spec with its secrets decrypted (for a worker's authenticator)."""
    row = repo.get(session, account_id)
    if row is None:
        raise ConfigError(
            f"account {account_id} has no Salesforce connection (run ringsync connect)",
            account_id=account_id,
        )
    secrets = orjson.loads(cipher.decrypt(row.credentials))
    return ConnectionSpec(
        method=ConnectionMethod(row.method),
        login_url=row.login_url,
        client_id=row.client_id,
        username=row.username,
        secrets={str(k): str(v) for k, v in secrets.items()},
    )


def save_secret(
    session: Session, account_id: int, cipher: TokenCipher, name: str, value: str
) -> None:
    """Replace one stored secret (e.g. a rotated refresh token), encrypted under the first key."""
    spec = load_spec(session, account_id, cipher)
    secrets = {**spec.secrets, name: value}
    repo.set_credentials(session, account_id, cipher.encrypt(orjson.dumps(secrets).decode()))


def record_check(
    session: Session,
    account_id: int,
    *,
    error: str | None,
    instance_url: str | None = None,
    clock: Clock | None = None,
) -> None:
    """Keep the outcome of a login check (the message must carry no secret).

    A connection marked ``needs_reauth`` keeps that mark: a check may still work on an access
    token fetched earlier, so only a reconnect or a fresh grant clears it.
    """
    repo.set_state(
        session,
        account_id,
        state=(ConnectionState.FAILED if error else ConnectionState.CONNECTED).value,
        checked_at=(clock or SystemClock()).now(),
        last_error=error,
        instance_url=instance_url,
        unless_state=ConnectionState.NEEDS_REAUTH.value,
    )


REFUSAL_STATUSES = range(400, 500)
THROTTLED = 429


def is_refused_login(exc: AuthError) -> bool:
    """Tell whether ``exc`` is Salesforce refusing the stored login itself (needs a reconnect).

    That is the token endpoint answering 4xx (``invalid_grant``: a refresh token revoked or
    expired, a user frozen; ``invalid_client``: the app's secret changed). Throttling (429),
    5xx and timeouts are not refusals (they are retried), nor is a 401 on an API call.
    """
    status = exc.context.get("status")
    return (
        exc.context.get("needs_reauth") is True
        and isinstance(status, int)
        and status in REFUSAL_STATUSES
        and status != THROTTLED
    )


def mark_needs_reauth(
    session: Session,
    account_id: int,
    *,
    error: str,
    connected_at: datetime | None,
    clock: Clock | None = None,
) -> bool:
    """Record that Salesforce refused the login of the connection made at ``connected_at``.

    A refusal seen by a client built before a reconnect does not mark the new connection.
    Return whether the stored connection was marked.
    """
    return repo.set_state_where(
        session,
        account_id,
        state=ConnectionState.NEEDS_REAUTH.value,
        checked_at=(clock or SystemClock()).now(),
        last_error=error,
        connected_at=connected_at,
    )


def clear_needs_reauth(
    session: Session,
    account_id: int,
    *,
    connected_at: datetime | None,
    clock: Clock | None = None,
) -> bool:
    """After a successful grant, put a ``needs_reauth`` connection back to connected."""
    return repo.set_state_where(
        session,
        account_id,
        state=ConnectionState.CONNECTED.value,
        checked_at=(clock or SystemClock()).now(),
        last_error=None,
        connected_at=connected_at,
        only_from=ConnectionState.NEEDS_REAUTH.value,
    )


def encryption_keys(settings: Settings) -> list[str]:
    """Return the configured encryption keys, first one first (demo mode: the key file's).

    Outside demo mode a missing RINGSYNC_ENCRYPTION_KEYS is a ConfigError. The demo's key is a
    file readable only by its owner, so demo connections survive a restart.
    """
    if settings.encryption_keys is not None and settings.encryption_keys.get_secret_value():
        return settings.encryption_keys.get_secret_value().split(",")
    require_secrets(settings, "encryption_keys", purpose="encrypt Salesforce credentials")
    key_file = Path(settings.data_dir) / DEMO_KEY_FILE
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process of the demo made it first; use theirs
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(generate_key())
            log.warning("demo mode: generated an encryption key in %s", key_file)
    return [key_file.read_text(encoding="ascii")]


def cipher_for(settings: Settings) -> TokenCipher:
    """Return the cipher for stored credentials (see `encryption_keys`)."""
    return TokenCipher(encryption_keys(settings))


@dataclass(frozen=True)
class KeyRing:
    """The configured keys as two ciphers: every key (to open and re-encrypt) and the first."""

    every: TokenCipher
    first: TokenCipher
    count: int

    @classmethod
    def of(cls, keys: list[str]) -> KeyRing:
        """Build the ring from ``keys`` (first encrypts); a ConfigError for none or a bad one."""
        every = TokenCipher(keys)  # refuses an empty list or a malformed key, by position
        cleaned = [k.strip() for k in keys if k.strip()]
        return cls(every, TokenCipher(cleaned[:1]), len(cleaned))


class SecretOutcome(StrEnum):
    """What re-encrypting one stored secret found (or, in a check, would do)."""

    CURRENT = "current"  # already under the first key
    STALE = "stale"  # under another configured key (a check only counts it)
    ROTATED = "rotated"  # re-encrypted under the first key
    UNREADABLE = "unreadable"  # no configured key opens it
    GONE = "gone"  # deleted while the rotation ran


@dataclass
class SecretTally:
    """Counts of one kind of stored secret; ``unreadable`` names the accounts, never a secret."""

    current: int = 0
    stale: int = 0
    rotated: int = 0
    expired: int = 0
    unreadable: list[int] = field(default_factory=list)

    def add(self, outcome: SecretOutcome, account_id: int) -> None:
        """Count one secret's outcome."""
        if outcome is SecretOutcome.CURRENT:
            self.current += 1
        elif outcome is SecretOutcome.STALE:
            self.stale += 1
        elif outcome is SecretOutcome.ROTATED:
            self.rotated += 1
        elif outcome is SecretOutcome.UNREADABLE:
            self.unreadable.append(account_id)


CAS_ATTEMPTS = 3


def _under_first(blob: str, ring: KeyRing) -> bool:
    try:
        ring.first.decrypt(blob)
    except AuthError:
        return False
    return True


def reencrypt_secret(
    blob: str | None,
    ring: KeyRing,
    *,
    dry_run: bool,
    reread: Callable[[], str | None],
    replace: Callable[[str, str], bool],
) -> SecretOutcome:
    """Re-encrypt one secret under the first key unless it already is (compare-and-set).

    A secret changed by another process between the read and the write (a rotated refresh
    token saved meanwhile) is read again, so a newer secret is never overwritten.
    """
    for _ in range(CAS_ATTEMPTS):
        if blob is None:
            return SecretOutcome.GONE
        if _under_first(blob, ring):
            return SecretOutcome.CURRENT
        try:
            rotated = ring.every.rotate(blob)
        except AuthError:
            return SecretOutcome.UNREADABLE
        if dry_run:
            return SecretOutcome.STALE
        if replace(blob, rotated):
            return SecretOutcome.ROTATED
        blob = reread()
    return SecretOutcome.STALE  # kept changing under us: counted as not yet rotated


def reencrypt_connections(
    session: Session,
    ring: KeyRing,
    tally: SecretTally,
    *,
    after: int,
    limit: int,
    dry_run: bool = False,
) -> int | None:
    """Re-encrypt one batch of connections' credentials (account id above ``after``).

    Return the last account id of the batch, or None when there are no more.
    """
    page = repo.credentials_page(session, after=after, limit=limit)
    for account_id, blob in page:

        def reread(account_id: int = account_id) -> str | None:
            row = repo.get(session, account_id)
            return row.credentials if row is not None else None

        def replace(old: str, new: str, account_id: int = account_id) -> bool:
            return repo.replace_credentials(session, account_id, old, new)

        outcome = reencrypt_secret(blob, ring, dry_run=dry_run, reread=reread, replace=replace)
        tally.add(outcome, account_id)
    return page[-1][0] if len(page) == limit else None


def reencrypt_oauth_states(
    session: Session,
    ring: KeyRing,
    tally: SecretTally,
    *,
    after: str,
    limit: int,
    now: datetime,
    dry_run: bool = False,
) -> str | None:
    """Re-encrypt one batch of pending sign-ins' secrets (digest above ``after``).

    Expired sign-ins can never be finished: they are counted and left for the next start's
    cleanup. Return the last digest of the batch, or None when there are no more.
    """
    page = repo.oauth_secrets_page(session, after=after, limit=limit)
    for pending in page:
        if pending.expires_at <= now:
            tally.expired += 1
            continue

        def reread(digest: str = pending.digest) -> str | None:
            return repo.oauth_secrets_of(session, digest)

        def replace(old: str, new: str, digest: str = pending.digest) -> bool:
            return repo.replace_oauth_secrets(session, digest, old, new)

        outcome = reencrypt_secret(
            pending.secrets, ring, dry_run=dry_run, reread=reread, replace=replace
        )
        tally.add(outcome, pending.account_id)
    return page[-1].digest if len(page) == limit else None


__all__ = [
    "REFUSAL_STATUSES",
    "ConnectionMethod",
    "ConnectionSpec",
    "ConnectionState",
    "ConnectionView",
    "KeyRing",
    "SecretOutcome",
    "SecretTally",
    "authenticator_for",
    "check_login",
    "cipher_for",
    "clear_needs_reauth",
    "encryption_keys",
    "get_connection",
    "is_refused_login",
    "list_connections",
    "load_spec",
    "mark_needs_reauth",
    "record_check",
    "reencrypt_connections",
    "reencrypt_oauth_states",
    "reencrypt_secret",
    "save_connection",
    "save_secret",
    "spec_problems",
    "target_problems",
]
