"""Process settings from the environment (``RINGSYNC_`` prefix) and an optional file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ringsync.errors import ConfigError

ENV_FILE_VARIABLE = "RINGSYNC_ENV_FILE"
SECRET_VARIABLES = {
    "secret_key": "RINGSYNC_SECRET_KEY",
    "encryption_keys": "RINGSYNC_ENCRYPTION_KEYS",
}


class Settings(BaseSettings):
    """Everything an operator can set; secrets have no defaults outside the demo."""

    model_config = SettingsConfigDict(
        env_prefix="RINGSYNC_",
        env_file=None,
        extra="ignore",
        frozen=True,
    )

    database_url: str = Field(
        default="sqlite:///var/ringsync.db",
        description="SQLAlchemy URL of the store; SQLite by default, Postgres at scale.",
    )
    data_dir: Path = Field(default=Path("var"), description="Where local files are kept.")
    secret_key: SecretStr | None = Field(
        default=None, description="Signs session cookies and CSRF tokens."
    )
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )
    salesforce_allowed_hosts: str = Field(
        default="*.my.salesforce.com,*.salesforce.com,*.force.com",
        description="Comma-separated host patterns an OAuth instance URL must match.",
    )
    runner: str = Field(default="embedded", description="embedded or celery")
    broker_url: str = Field(default="redis://127.0.0.1:6379/0")
    log_level: str = Field(default="INFO")
    demo: bool = Field(default=False, description="Demo mode allows generated secrets.")


def load_settings(env_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, an optional env file, and explicit overrides.

    Without ``env_file``, the file named by ``RINGSYNC_ENV_FILE`` (if set) is read; variables
    already in the environment win over the file. A named file that does not exist, or a value
    that does not parse, is a ConfigError naming the variable.
    """
    if env_file is None:
        env_file = os.environ.get(ENV_FILE_VARIABLE) or None
    try:
        if env_file is not None:
            if not Path(env_file).is_file():
                raise ConfigError(f"the settings file {str(env_file)!r} does not exist")
            return Settings(_env_file=str(env_file), **overrides)  # type: ignore[call-arg]  # pydantic-settings init kwarg
        return Settings(**overrides)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"RINGSYNC_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def require_secrets(settings: Settings, *names: str, purpose: str) -> None:
    """Refuse to go on outside demo mode while a secret this command needs is unset.

    ``names`` are Settings attributes (``secret_key``, ``encryption_keys``); demo mode lets the
    caller generate throw-away secrets instead.
    """
    if settings.demo:
        return
    missing = [
        SECRET_VARIABLES.get(name, name)
        for name in names
        if not _secret_value(getattr(settings, name))
    ]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} must be set to {purpose} "
            "(only demo mode, RINGSYNC_DEMO=true, runs without them)",
            settings=missing,
        )


def _secret_value(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""
