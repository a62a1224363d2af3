"""Secrets of the web layer: the app key, password hashing, signed cookies and CSRF tokens.

One secret key (``RINGSYNC_SECRET_KEY``) is stretched into one sub-key per purpose with HMAC, so
a value signed for one purpose (a session cookie) is never accepted for another (a CSRF token).
Session ids and API tokens are random 32-byte values; only their SHA-256 digests are stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ringsync.errors import ConfigError
from ringsync.settings import Settings

log = logging.getLogger(__name__)

MIN_SECRET_KEY_LENGTH = 32
API_TOKEN_PREFIX = "rs_"  # noqa: S105  # the public prefix of every token, not a secret
_TOKEN_BYTES = 32


def resolve_secret_key(settings: Settings) -> bytes:
    """Return the configured secret key; demo mode generates one, elsewhere a missing key stops."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if configured:
        if len(configured) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"RINGSYNC_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} "
                "random characters (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return configured.encode()
    if settings.demo:
        log.warning("no RINGSYNC_SECRET_KEY set: demo mode generated one; sessions end on restart")
        return secrets.token_bytes(_TOKEN_BYTES)
    raise ConfigError(
        "RINGSYNC_SECRET_KEY is not set: the web app needs it to sign session cookies and CSRF "
        "tokens. Set it to at least 32 random characters, or run in demo mode (RINGSYNC_DEMO=true)."
    )


def digest(secret: str) -> str:
    """Return the hex SHA-256 digest under which a random session id or token is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """Return a fresh URL-safe random value with 256 bits of entropy."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def new_api_token() -> str:
    """Return a fresh API token, recognisable by its ``rs_`` prefix (for secret scanners)."""
    return API_TOKEN_PREFIX + new_secret()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Signer:
    """Sign and check values with per-purpose keys derived from the app's secret key."""

    secret_key: bytes

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self.secret_key, b"ringsync:" + purpose.encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, value: str) -> str:
        """Return the MAC of ``value`` for ``purpose`` (URL-safe text)."""
        return _b64(hmac.new(self._key(purpose), value.encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, value: str) -> str:
        """Return ``value.mac`` for storing in a cookie."""
        return f"{value}.{self.mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str) -> str | None:
        """Return the value if its MAC is right (constant-time), else None."""
        value, sep, mac = signed.rpartition(".")
        if not sep or not value:
            return None
        return value if hmac.compare_digest(mac, self.mac(purpose, value)) else None

    def csrf_token(self, binding: str) -> str:
        """Return the anti-forgery token bound to one session (or pre-session) secret."""
        return self.mac("csrf", binding)

    def check_mac(self, purpose: str, value: str, mac: str | None) -> bool:
        """Tell whether ``mac`` is the MAC of ``value`` for ``purpose`` (constant-time)."""
        if not mac:
            return False
        return hmac.compare_digest(mac, self.mac(purpose, value))

    def check_csrf(self, binding: str, token: str | None) -> bool:
        """Tell whether ``token`` is the anti-forgery token of ``binding``."""
        return self.check_mac("csrf", binding, token)


class Passwords:
    """Hash and check passwords with argon2id (salted, memory-hard)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        """Use argon2-cffi's recommended parameters unless a hasher is given (tests go cheaper)."""
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash(new_secret())

    def hash(self, password: str) -> str:
        """Return the encoded argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """Tell whether ``password`` matches; a missing hash still costs one verification."""
        try:
            return self._hasher.verify(encoded or self._dummy, password) and encoded is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """Tell whether the hash was made with weaker parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True


__all__ = [
    "API_TOKEN_PREFIX",
    "MIN_SECRET_KEY_LENGTH",
    "Passwords",
    "Signer",
    "digest",
    "new_api_token",
    "new_secret",
    "resolve_secret_key",
]
