"""Salesforce connections: check a login, keep it with its secrets encrypted, rebuild its auth.

An operator connects an account once (``ringsync connect``); every worker later rebuilds the
same authenticator from the stored row and the encryption keys. Secrets are encrypted with
``TokenCipher`` before they reach the store and are never part of a view, a repr or a message.
Access tokens are not stored: every process gets its own with the stored credentials.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    """Keep the outcome of a login check (the message must carry no secret)."""
    repo.set_state(
        session,
        account_id,
        state=(ConnectionState.FAILED if error else ConnectionState.CONNECTED).value,
        checked_at=(clock or SystemClock()).now(),
        last_error=error,
        instance_url=instance_url,
    )


def cipher_for(settings: Settings) -> TokenCipher:
    """Return the cipher for stored credentials; demo mode keeps a generated key in data_dir.

    Outside demo mode a missing RINGSYNC_ENCRYPTION_KEYS is a ConfigError. The demo's key is a
    file readable only by its owner, so demo connections survive a restart.
    """
    if settings.encryption_keys is not None and settings.encryption_keys.get_secret_value():
        return TokenCipher.from_settings(settings)
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
    return TokenCipher([key_file.read_text(encoding="ascii")])


__all__ = [
    "ConnectionMethod",
    "ConnectionSpec",
    "ConnectionState",
    "ConnectionView",
    "authenticator_for",
    "check_login",
    "cipher_for",
    "get_connection",
    "list_connections",
    "load_spec",
    "record_check",
    "save_connection",
    "save_secret",
    "spec_problems",
    "target_problems",
]
