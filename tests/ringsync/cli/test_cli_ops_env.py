"""Settings from an env file (``--env-file`` or RINGSYNC_ENV_FILE) and required secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ringsync.errors import ConfigError
from ringsync.settings import Settings, load_settings, require_secrets


def _env_file(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "ringsync.env"
    path.write_text(f"RINGSYNC_DATABASE_URL=sqlite:///{database}\nRINGSYNC_RUNNER=celery\n")
    return path


def test_the_global_env_file_option_feeds_every_command(
    invoke: Any, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    target = tmp_path / "from-file" / "ringsync.db"
    env_file = _env_file(tmp_path, target)
    # The file only fills what the environment leaves unset.
    without_url: dict[str, str | None] = {"RINGSYNC_DATABASE_URL": None}
    result = invoke("--env-file", str(env_file), "db", "upgrade", env=without_url)
    assert result.exit_code == 0, result.output
    assert target.exists()
    status = invoke("--env-file", str(env_file), "db", "status", "--json", env=without_url)
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["database"] == f"sqlite:///{target}"


def test_the_env_file_variable_works_like_the_option(invoke: Any, tmp_path: Path) -> None:
    target = tmp_path / "by-variable.db"
    env_file = _env_file(tmp_path, target)
    result = invoke(
        "db", "upgrade", env={"RINGSYNC_ENV_FILE": str(env_file), "RINGSYNC_DATABASE_URL": None}
    )
    assert result.exit_code == 0, result.output
    assert target.exists()


def test_variables_already_set_win_over_the_file(
    invoke: Any, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    env_file = _env_file(tmp_path, tmp_path / "ignored.db")
    result = invoke("--env-file", str(env_file), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "ignored.db").exists()
    assert Path(cli_env["RINGSYNC_DATABASE_URL"].removeprefix("sqlite:///")).exists()


def test_a_missing_env_file_is_one_clear_error(invoke: Any, tmp_path: Path) -> None:
    result = invoke("--env-file", str(tmp_path / "nope.env"), "status")
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"Error: the settings file {tmp_path / 'nope.env'} does not exist"
    )


def test_a_setting_that_does_not_parse_is_one_clear_error(invoke: Any) -> None:
    result = invoke("status", env={"RINGSYNC_DEMO": "perhaps"})
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid settings: RINGSYNC_DEMO:")
    assert "Traceback" not in result.output


def test_load_settings_names_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGSYNC_ENV_FILE", str(tmp_path / "gone.env"))
    with pytest.raises(ConfigError, match=r"gone\.env' does not exist"):
        load_settings()


def test_secrets_are_required_outside_demo_mode_and_named() -> None:
    with pytest.raises(ConfigError) as info:
        require_secrets(Settings(), "secret_key", "encryption_keys", purpose="run the web app")
    assert info.value.message == (
        "RINGSYNC_SECRET_KEY and RINGSYNC_ENCRYPTION_KEYS must be set to run the web app "
        "(only demo mode, RINGSYNC_DEMO=true, runs without them)"
    )
    with pytest.raises(ConfigError, match=r"^RINGSYNC_ENCRYPTION_KEYS must be set"):
        require_secrets(
            Settings(secret_key=SecretStr("k" * 40), encryption_keys=SecretStr("  ")),
            "secret_key",
            "encryption_keys",
            purpose="x",
        )


def test_secrets_that_are_set_or_demo_mode_pass() -> None:
    require_secrets(Settings(demo=True), "secret_key", "encryption_keys", purpose="x")
    require_secrets(
        Settings(secret_key=SecretStr("k" * 40), encryption_keys=SecretStr("key")),
        "secret_key",
        "encryption_keys",
        purpose="x",
    )
