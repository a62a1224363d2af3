"""Encrypt Salesforce tokens at rest with MultiFernet, so a copied database leaks no credentials.

The first key encrypts; every key decrypts; ``rotate`` re-encrypts under the first key, so an
operator rotates by putting a new key first, re-saving every token, then dropping the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ringsync.errors import AuthError, ConfigError
from ringsync.settings import Settings


def generate_key() -> str:
    """Return a fresh Fernet key as text (for the demo and for operators rotating keys)."""
    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """Encrypt and decrypt token strings under a list of Fernet keys."""

    def __init__(self, keys: list[str]) -> None:
        """Use ``keys`` (first encrypts, all decrypt); refuse an empty or malformed list."""
        cleaned = [k.strip() for k in keys if k.strip()]
        if not cleaned:
            raise ConfigError(
                "No encryption key is set. Set RINGSYNC_ENCRYPTION_KEYS to one or more Fernet "
                "keys (comma-separated; ringsync.salesforce.tokens.generate_key() makes one)."
            )
        fernets: list[Fernet] = []
        for position, key in enumerate(cleaned, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError) as exc:
                raise ConfigError(
                    f"Encryption key number {position} in RINGSYNC_ENCRYPTION_KEYS is not a "
                    "valid Fernet key (32 url-safe base64-encoded bytes).",
                    key_position=position,
                ) from exc
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        """Build the cipher from ``settings.encryption_keys`` (comma-separated)."""
        raw = settings.encryption_keys.get_secret_value() if settings.encryption_keys else ""
        return cls(raw.split(","))

    def encrypt(self, plaintext: str) -> str:
        """Return ``plaintext`` encrypted under the first key, as text safe to store."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Return the plaintext, or raise AuthError when no configured key opens it."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError, ValueError) as exc:
            raise AuthError(
                "A stored Salesforce token cannot be decrypted with the configured encryption "
                "keys. Restore the previous key in RINGSYNC_ENCRYPTION_KEYS (new key first, old "
                "key after it) or reconnect Salesforce on the Salesforce tab."
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """Return ``ciphertext`` re-encrypted under the first key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError, ValueError) as exc:
            raise AuthError(
                "A stored Salesforce token cannot be re-encrypted: no configured key opens it."
            ) from exc


__all__ = ["TokenCipher", "generate_key"]
