"""Process settings from the environment (``RINGSYNC_`` prefix) and an optional file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    """Build settings from the environment, an optional env file, and explicit overrides."""
    if env_file is not None:
        return Settings(_env_file=str(env_file), **overrides)  # type: ignore[call-arg]  # pydantic-settings init kwarg
    return Settings(**overrides)
