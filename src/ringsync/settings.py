"""Process settings from the environment (``RINGSYNC_`` prefix) and an optional file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

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
    rate_limit_store: Literal["auto", "memory", "redis"] = Field(
        default="auto",
        description="Where rate-limit buckets live: redis (shared by every web process), "
        "memory (one process), or auto (redis with the Celery runner, else memory).",
    )
    rate_limit_redis_url: str | None = Field(
        default=None, description="Redis for rate limits; unset means RINGSYNC_BROKER_URL."
    )
    rate_limit_key_prefix: str = Field(
        default="ringsync:ratelimit:", description="Prefix of every rate-limit key in Redis."
    )
    rate_limit_events_per_second: float = Field(
        default=2500, ge=0, description="Events refilled per second per account (0: no limit)."
    )
    rate_limit_events_burst: int = Field(
        default=25000, ge=0, description="Events one account may send at once (0: no limit)."
    )
    rate_limit_token_events_per_second: float = Field(
        default=2500, ge=0, description="Events refilled per second per API token (0: no limit)."
    )
    rate_limit_token_events_burst: int = Field(
        default=25000, ge=0, description="Events one API token may send at once (0: no limit)."
    )
    rate_limit_salesforce_actions_per_minute: int = Field(
        default=20,
        ge=0,
        description="Per account and kind: operation runs/previews, user syncs, failed-record "
        "retries, connection checks a minute (0: no limit).",
    )
    rate_limit_oauth_callbacks_per_address: int = Field(
        default=20, ge=0, description="OAuth callbacks per client address in 10 minutes."
    )
    rate_limit_oauth_callbacks_per_account: int = Field(
        default=10, ge=0, description="OAuth callbacks per account in 10 minutes."
    )


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
