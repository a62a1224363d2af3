"""Tokens at rest: encrypted, rotatable, and refused clearly under a wrong key."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ringsync.errors import AuthError, ConfigError
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings

SECRET = "5Aep861refresh-token-value"


def test_encrypted_text_hides_the_token_and_round_trips() -> None:
    cipher = TokenCipher([generate_key()])
    stored = cipher.encrypt(SECRET)
    assert SECRET not in stored
    assert cipher.decrypt(stored) == SECRET


def test_rotation_add_key_rotate_drop_old_key() -> None:
    old, new = generate_key(), generate_key()
    stored = TokenCipher([old]).encrypt(SECRET)
    both = TokenCipher([new, old])
    assert both.decrypt(stored) == SECRET
    rotated = both.rotate(stored)
    assert TokenCipher([new]).decrypt(rotated) == SECRET
    with pytest.raises(AuthError):
        TokenCipher([new]).decrypt(stored)


def test_wrong_key_gives_a_clear_auth_error() -> None:
    stored = TokenCipher([generate_key()]).encrypt(SECRET)
    with pytest.raises(AuthError, match="cannot be decrypted") as info:
        TokenCipher([generate_key()]).decrypt(stored)
    assert SECRET not in str(info.value)


def test_garbage_ciphertext_is_an_auth_error() -> None:
    with pytest.raises(AuthError):
        TokenCipher([generate_key()]).decrypt("not-a-fernet-token")
    with pytest.raises(AuthError):
        TokenCipher([generate_key()]).rotate("not-a-fernet-token")


def test_missing_or_malformed_keys_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="No encryption key"):
        TokenCipher(["", " "])
    with pytest.raises(ConfigError, match="number 2"):
        TokenCipher([generate_key(), "short"])


def test_cipher_from_settings_uses_comma_separated_keys() -> None:
    old, new = generate_key(), generate_key()
    stored = TokenCipher([old]).encrypt(SECRET)
    settings = Settings(encryption_keys=SecretStr(f"{new}, {old}"))
    cipher = TokenCipher.from_settings(settings)
    assert cipher.decrypt(stored) == SECRET
    with pytest.raises(ConfigError):
        TokenCipher.from_settings(Settings())
