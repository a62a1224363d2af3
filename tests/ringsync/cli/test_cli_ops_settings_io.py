"""``ringsync settings export|import``: a round trip, drafts with every problem, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ringsync.domain.sync_settings import active_settings, get_draft, list_versions
from ringsync.store.db import Database


def _export(invoke: Any, account_id: int, path: Path) -> dict[str, Any]:
    result = invoke("settings", "export", "--account", str(account_id), "--file", str(path))
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_export_writes_the_settings_in_force(invoke: Any, account_id: int, tmp_path: Path) -> None:
    target = tmp_path / "acme.json"
    result = invoke("settings", "export", "--account", str(account_id), "--file", str(target))
    assert result.exit_code == 0, result.output
    assert f"Exported account {account_id}'s settings (defaults, never saved)" in result.stdout
    document = json.loads(target.read_text())
    assert document["format"] == "ringsync.sync-settings"
    assert document["format_version"] == 1
    assert document["settings"]["object_mode"] == "leads"


def test_export_to_standard_output(invoke: Any, account_id: int) -> None:
    result = invoke("settings", "export", "--account", str(account_id), "--file", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["update_direction"] == "both"


def test_export_refuses_to_overwrite_without_force(
    invoke: Any, account_id: int, tmp_path: Path
) -> None:
    target = tmp_path / "acme.json"
    target.write_text("keep me")
    refused = invoke("settings", "export", "--account", str(account_id), "--file", str(target))
    assert refused.exit_code == 2
    assert "already exists (pass --force to overwrite it)" in refused.stderr
    assert target.read_text() == "keep me"
    forced = invoke(
        "settings", "export", "--account", str(account_id), "--file", str(target), "--force"
    )
    assert forced.exit_code == 0, forced.output
    assert json.loads(target.read_text())["format"] == "ringsync.sync-settings"


def test_export_of_an_unknown_account_or_into_a_missing_folder_fails_clearly(
    invoke: Any, account_id: int, tmp_path: Path
) -> None:
    unknown = invoke("settings", "export", "--account", "999", "--file", str(tmp_path / "x.json"))
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "Error: account 999 does not exist"
    nowhere = tmp_path / "missing" / "x.json"
    folder = invoke("settings", "export", "--account", str(account_id), "--file", str(nowhere))
    assert folder.exit_code == 2
    assert f"the folder {nowhere.parent} does not exist" in folder.stderr


def test_import_makes_a_draft_and_save_makes_a_version(
    invoke: Any, account_id: int, database: Database, tmp_path: Path
) -> None:
    document = _export(invoke, account_id, tmp_path / "in.json")
    document["settings"]["object_mode"] = "contacts"
    changed = _write(tmp_path / "changed.json", document)

    drafted = invoke("settings", "import", "--account", str(account_id), "--file", str(changed))
    assert drafted.exit_code == 0, drafted.output
    assert "as account" in drafted.stdout
    assert "run again with --save" in drafted.stdout
    with database.read() as session:
        assert get_draft(session, account_id).data["object_mode"] == "contacts"
        assert active_settings(session, account_id).object_mode.value == "leads"
        assert list_versions(session, account_id) == []

    saved = invoke(
        "settings", "import", "--account", str(account_id), "--file", str(changed), "--save"
    )
    assert saved.exit_code == 0, saved.output
    assert "saved it as settings version 1" in saved.stdout
    with database.read() as session:
        assert active_settings(session, account_id).object_mode.value == "contacts"
        assert [v.number for v in list_versions(session, account_id)] == [1]


def test_import_lists_every_problem_keeps_the_draft_and_saves_nothing(
    invoke: Any, account_id: int, database: Database, tmp_path: Path
) -> None:
    document = _export(invoke, account_id, tmp_path / "in.json")
    document["settings"]["object_mode"] = "everything"
    document["settings"]["update_direction"] = "sideways"
    bad = _write(tmp_path / "bad.json", document)
    result = invoke(
        "settings", "import", "--account", str(account_id), "--file", str(bad), "--save"
    )
    assert result.exit_code == 2
    assert "have 2 problem(s); they are kept as account" in result.stderr
    assert "  - object_mode:" in result.stderr
    assert "  - update_direction:" in result.stderr
    assert "Traceback" not in result.output
    with database.read() as session:
        assert get_draft(session, account_id).data["object_mode"] == "everything"
        assert list_versions(session, account_id) == []


def test_import_of_a_file_that_is_not_an_export_changes_nothing(
    invoke: Any, account_id: int, database: Database, tmp_path: Path
) -> None:
    other = _write(tmp_path / "other.json", {"format": "something-else"})
    result = invoke("settings", "import", "--account", str(account_id), "--file", str(other))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the file is not a ringsync settings export:")
    assert "  - format: format must be 'ringsync.sync-settings'" in result.stderr
    assert "  - settings: settings must be a JSON object" in result.stderr
    with database.read() as session:
        assert get_draft(session, account_id).unsaved_changes is False


def test_import_of_broken_json_or_a_missing_file_fails_clearly(
    invoke: Any, account_id: int, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = invoke("settings", "import", "--account", str(account_id), "--file", str(broken))
    assert result.exit_code == 2
    assert "Error: the file is not valid JSON:" in result.stderr
    missing = invoke(
        "settings", "import", "--account", str(account_id), "--file", str(tmp_path / "no.json")
    )
    assert missing.exit_code == 2
    assert "does not exist or is not a file" in missing.stderr


def test_import_into_an_unknown_account_fails_clearly(
    invoke: Any, account_id: int, tmp_path: Path
) -> None:
    document = _export(invoke, account_id, tmp_path / "in.json")
    result = invoke(
        "settings",
        "import",
        "--account",
        "4242",
        "--file",
        str(_write(tmp_path / "d.json", document)),
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: account 4242 does not exist"
