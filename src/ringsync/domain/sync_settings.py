"""Sync settings lifecycle: edit a draft, validate it, save it as a new version, restore, export.

Nothing an admin edits takes effect until an explicit `save_draft`. Every saved version is
kept (number, who, when, full JSON); restoring an old version saves a new version equal to it,
so history is never rewritten. Export writes a JSON document with a format version; import
validates it, reports every problem, and only ever produces a draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ringsync.clock import Clock, SystemClock
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import accounts as account_repo
from ringsync.store.repositories import sync_settings as repo
from ringsync.store.tables import SyncSettingsDraft, SyncSettingsVersion
from ringsync.sync.config import SyncSettings, default_settings, settings_problems

EXPORT_FORMAT = "ringsync.sync-settings"
EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class VersionInfo:
    """One saved version, without its data."""

    number: int
    saved_by: str
    saved_at: datetime


@dataclass(frozen=True)
class DraftState:
    """The draft an admin is editing, its problems, and whether it differs from what is saved."""

    data: dict[str, Any]
    problems: tuple[Problem, ...]
    unsaved_changes: bool
    based_on: int | None


@dataclass(frozen=True)
class FieldDiff:
    """One setting that differs between two versions (dotted path, e.g. ``lead_mappings.3``)."""

    path: str
    before: Any
    after: Any


def _region(session: Session, account_id: int) -> str:
    account = account_repo.get(session, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} does not exist", account_id=account_id)
    return account.default_region


def active_settings(session: Session, account_id: int) -> SyncSettings:
    """Return the settings in force: the newest saved version, or the defaults."""
    latest = repo.latest(session, account_id)
    if latest is None:
        return default_settings(_region(session, account_id))
    return SyncSettings.model_validate(latest.data)


def _active_data(session: Session, account_id: int) -> tuple[dict[str, Any], int | None]:
    latest = repo.latest(session, account_id)
    if latest is None:
        return default_settings(_region(session, account_id)).as_data(), None
    return dict(latest.data), latest.number


def get_draft(session: Session, account_id: int) -> DraftState:
    """Return the draft (or the active settings when there is none) with all its problems."""
    active, number = _active_data(session, account_id)
    row = repo.draft(session, account_id)
    data = dict(row.data) if row is not None else active
    _, problems = settings_problems(data)
    return DraftState(data, tuple(problems), data != active, row.based_on if row else number)


def edit_draft(
    session: Session,
    account_id: int,
    changes: Mapping[str, Any],
    *,
    edited_by: str,
    clock: Clock | None = None,
) -> DraftState:
    """Merge ``changes`` into the draft and keep it (even when invalid); nothing is applied."""
    current = get_draft(session, account_id)
    data = {**current.data, **dict(changes)}
    return _put_draft(session, account_id, data, current.based_on, edited_by, clock)


def _put_draft(
    session: Session,
    account_id: int,
    data: dict[str, Any],
    based_on: int | None,
    edited_by: str,
    clock: Clock | None,
) -> DraftState:
    # Round-trip through JSON so the stored draft is exactly what a reload returns.
    clean = orjson.loads(orjson.dumps(data, default=str))
    repo.put_draft(
        session,
        SyncSettingsDraft(
            account_id=account_id,
            data=clean,
            based_on=based_on,
            updated_by=edited_by,
            updated_at=(clock or SystemClock()).now(),
        ),
    )
    return get_draft(session, account_id)


def discard_draft(session: Session, account_id: int) -> None:
    """Throw the draft away; the saved settings stay as they are."""
    repo.drop_draft(session, account_id)


def save_draft(
    session: Session, account_id: int, *, saved_by: str, clock: Clock | None = None
) -> VersionInfo:
    """Validate the draft and save it as the next version; raise with every problem if invalid."""
    state = get_draft(session, account_id)
    settings, problems = settings_problems(state.data)
    if settings is None:
        raise ValidationError(
            f"the settings have {len(problems)} problem(s); nothing was saved",
            problems,
            account_id=account_id,
        )
    version = _add_version(session, account_id, settings.as_data(), saved_by, clock)
    repo.drop_draft(session, account_id)
    return version


def _add_version(
    session: Session, account_id: int, data: dict[str, Any], saved_by: str, clock: Clock | None
) -> VersionInfo:
    row = repo.add_version(
        session,
        SyncSettingsVersion(
            account_id=account_id,
            number=repo.next_number(session, account_id),
            saved_by=saved_by,
            saved_at=(clock or SystemClock()).now(),
            data=data,
        ),
    )
    return VersionInfo(row.number, row.saved_by, row.saved_at)


def list_versions(session: Session, account_id: int) -> list[VersionInfo]:
    """List saved versions, newest first."""
    return [
        VersionInfo(v.number, v.saved_by, v.saved_at) for v in repo.versions(session, account_id)
    ]


def version_data(session: Session, account_id: int, number: int) -> dict[str, Any]:
    """Return the settings saved as version ``number``."""
    row = repo.get_version(session, account_id, number)
    if row is None:
        raise NotFoundError(f"settings version {number} does not exist", account_id=account_id)
    return dict(row.data)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and not _is_mapping_row(value):
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and all(_is_mapping_row(v) for v in value) and value:
        for row in value:
            out[f"{prefix}[{row['salesforce_field']}]"] = dict(row)
    else:
        out[prefix] = value


def _is_mapping_row(value: Any) -> bool:
    return isinstance(value, Mapping) and "salesforce_field" in value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldDiff]:
    """Compare two settings documents field by field (mapping rows keyed by Salesforce field)."""
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    _flatten(before, "", left)
    _flatten(after, "", right)
    return [
        FieldDiff(path, left.get(path), right.get(path))
        for path in sorted(set(left) | set(right))
        if left.get(path) != right.get(path)
    ]


def compare_versions(session: Session, account_id: int, old: int, new: int) -> list[FieldDiff]:
    """Return what changed from version ``old`` to version ``new``."""
    return diff(version_data(session, account_id, old), version_data(session, account_id, new))


def restore_version(
    session: Session, account_id: int, number: int, *, restored_by: str, clock: Clock | None = None
) -> VersionInfo:
    """Save a new version equal to version ``number`` (history is kept, never rewritten)."""
    data = version_data(session, account_id, number)
    settings, problems = settings_problems(data)
    if settings is None:
        raise ValidationError(
            f"version {number} no longer passes validation", problems, account_id=account_id
        )
    version = _add_version(session, account_id, settings.as_data(), restored_by, clock)
    repo.drop_draft(session, account_id)
    return version


def export_document(
    session: Session, account_id: int, *, clock: Clock | None = None
) -> dict[str, Any]:
    """Return the active settings as an export document with its format and version."""
    latest = repo.latest(session, account_id)
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": (clock or SystemClock()).now().isoformat(),
        "settings_version": latest.number if latest else None,
        "settings": active_settings(session, account_id).as_data(),
    }


def export_to_file(
    session: Session, account_id: int, path: Path, *, clock: Clock | None = None
) -> Path:
    """Write the export document to ``path`` as indented JSON."""
    document = export_document(session, account_id, clock=clock)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return path


def _document_problems(document: Any) -> list[Problem]:
    if not isinstance(document, Mapping):
        return [Problem("document", "the file must hold a JSON object", "bad_format")]
    problems: list[Problem] = []
    if document.get("format") != EXPORT_FORMAT:
        problems.append(
            Problem("format", f"format must be {EXPORT_FORMAT!r} (is this a settings export?)")
        )
    if document.get("format_version") != EXPORT_FORMAT_VERSION:
        problems.append(
            Problem(
                "format_version",
                f"format_version {document.get('format_version')!r} is not supported "
                f"(this ringsync reads version {EXPORT_FORMAT_VERSION})",
                "unsupported",
            )
        )
    if not isinstance(document.get("settings"), Mapping):
        problems.append(Problem("settings", "settings must be a JSON object", "bad_format"))
    return problems


def import_document(
    session: Session,
    account_id: int,
    document: Any,
    *,
    imported_by: str,
    clock: Clock | None = None,
) -> DraftState:
    """Turn an export document into the draft and return it with every problem; never save.

    A document that is not a settings export at all raises ValidationError and leaves the
    current draft untouched; a readable one becomes the draft even with problems to fix.
    """
    problems = _document_problems(document)
    if problems:
        raise ValidationError("the file is not a ringsync settings export", problems)
    current = get_draft(session, account_id)
    data = dict(document["settings"])
    return _put_draft(session, account_id, data, current.based_on, imported_by, clock)


def import_file(
    session: Session, account_id: int, path: Path, *, imported_by: str, clock: Clock | None = None
) -> DraftState:
    """Read an export file and import it as the draft (see `import_document`)."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            "the file is not valid JSON",
            [Problem("document", f"not valid JSON: {exc}", "bad_json")],
        ) from exc
    return import_document(session, account_id, document, imported_by=imported_by, clock=clock)
