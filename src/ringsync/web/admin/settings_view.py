"""What the Salesforce tab shows of the sync settings draft and of the Lead and Contact mappings.

The page always shows the DRAFT (what the admin is editing), marks every control whose value
differs from the saved settings, and puts each problem beside the control it is about. Nothing
here writes: edits go through the admin API and only "Save changes" applies them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.sync_settings import (
    VersionInfo,
    active_settings,
    get_draft,
    list_versions,
)
from ringsync.errors import Problem
from ringsync.mapping.catalog import PROPERTIES, Direction, FieldKind, FieldMapping, SyncObject
from ringsync.mapping.rules import LOCKED, legend

SETTING_KEYS = ("object_mode", "create_direction", "update_direction", "priority")
DIRECTION_LABELS = {
    Direction.BOTH.value: "ringsync ↔ Salesforce",
    Direction.TO_SALESFORCE.value: "ringsync → Salesforce",
    Direction.FROM_SALESFORCE.value: "ringsync ← Salesforce",
}
MAPPING_KEYS = {SyncObject.LEAD: "lead_mappings", SyncObject.CONTACT: "contact_mappings"}


@dataclass(frozen=True)
class RowView:
    """One mapped field as the mapping table shows it."""

    prop: str
    label: str
    salesforce_field: str
    salesforce_label: str
    salesforce_type: str
    kind: str
    direction: str
    legend: str
    directions: tuple[str, ...]
    unsaved: bool
    problems: tuple[str, ...]

    @property
    def locked(self) -> bool:
        """Tell whether the row cannot be changed or removed."""
        return self.legend == LOCKED


@dataclass(frozen=True)
class PropertyChoice:
    """A ringsync property offered in "add a field mapping", flagged if already mapped."""

    name: str
    label: str
    taken_by: str | None


@dataclass(frozen=True)
class MappingView:
    """The field mapping of one Salesforce object."""

    sobject: str
    key: str
    rows: tuple[RowView, ...]
    removed: tuple[str, ...]
    properties: tuple[PropertyChoice, ...]
    problems: tuple[str, ...]
    syncs: bool


@dataclass(frozen=True)
class SettingsView:
    """The draft's settings, what differs from the saved ones, and every problem."""

    values: Mapping[str, Any]
    changed: frozenset[str]
    problems: Mapping[str, tuple[str, ...]]
    unsaved: bool
    based_on: int | None
    versions: tuple[VersionInfo, ...]
    mappings: tuple[MappingView, ...]

    def value(self, key: str) -> str:
        """Return one setting as the form shows it ("" when unset)."""
        found = self.values.get(key)
        return "" if found is None else str(found)


def _rows_by_field(rows: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(rows, list):
        return {}
    return {
        str(row.get("salesforce_field", "")).lower(): row
        for row in rows
        if isinstance(row, Mapping)
    }


def _typed(rows: Any, problems: list[str]) -> list[FieldMapping]:
    typed: list[FieldMapping] = []
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        try:
            typed.append(FieldMapping.from_dict(row))
        except (KeyError, ValueError, TypeError, AttributeError):
            problems.append(f"Row {index + 1} is not a valid mapping row.")
    return typed


def allowed_directions(row: FieldMapping) -> tuple[str, ...]:
    """Return the directions the admin may choose for a row."""
    prop = PROPERTIES.get(row.ringsync_property)
    if row.kind is FieldKind.LOCKED:
        return (Direction.BOTH.value,)
    if row.kind is FieldKind.TRACKING or (prop is not None and prop.tracking):
        return (Direction.TO_SALESFORCE.value,)
    return tuple(d.value for d in Direction)


def _mapping_view(
    obj: SyncObject,
    draft: Mapping[str, Any],
    active: Mapping[str, Any],
    problems: Sequence[Problem],
    syncs: bool,
) -> MappingView:
    key = MAPPING_KEYS[obj]
    general: list[str] = []
    typed = _typed(draft.get(key), general)
    saved = _rows_by_field(active.get(key))
    current = _rows_by_field(draft.get(key))
    prefix = f"{key}."
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        if problem.field.startswith(prefix):
            field = problem.field[len(prefix) :].lower()
            by_field.setdefault(field, []).append(problem.reason)
    known = {row.salesforce_field.lower() for row in typed}
    for field, reasons in by_field.items():
        if field not in known:
            general.extend(reasons)
    rows = tuple(
        RowView(
            prop=row.ringsync_property,
            label=row.label or row.ringsync_property,
            salesforce_field=row.salesforce_field,
            salesforce_label=row.salesforce_label,
            salesforce_type=row.salesforce_type,
            kind=row.kind.value,
            direction=row.direction.value,
            legend=sorted(legend(row, typed))[0],
            directions=allowed_directions(row),
            unsaved=saved.get(row.salesforce_field.lower())
            != current.get(row.salesforce_field.lower()),
            problems=tuple(by_field.get(row.salesforce_field.lower(), ())),
        )
        for row in typed
    )
    taken = {row.ringsync_property: row.salesforce_field for row in typed}
    choices = tuple(
        PropertyChoice(name, prop.label, taken.get(name)) for name, prop in PROPERTIES.items()
    )
    removed = tuple(
        str(row.get("salesforce_field")) for field, row in saved.items() if field not in current
    )
    return MappingView(obj.value, obj.value.lower(), rows, removed, choices, tuple(general), syncs)


def _syncs(mode: object, obj: SyncObject) -> bool:
    own = "leads" if obj is SyncObject.LEAD else "contacts"
    return mode in ("both", own)


def settings_view(session: Session, account_id: int) -> SettingsView:
    """Build the settings and mapping sections from the draft and the saved settings."""
    draft = get_draft(session, account_id)
    active = active_settings(session, account_id).as_data()
    problems: dict[str, list[str]] = {}
    for problem in draft.problems:
        if not problem.field.startswith(tuple(MAPPING_KEYS.values())):
            problems.setdefault(problem.field, []).append(problem.reason)
    changed = frozenset(k for k in SETTING_KEYS if draft.data.get(k) != active.get(k))
    mode = draft.data.get("object_mode")
    mappings = tuple(
        _mapping_view(obj, draft.data, active, draft.problems, _syncs(mode, obj))
        for obj in (SyncObject.LEAD, SyncObject.CONTACT)
    )
    return SettingsView(
        values={k: draft.data.get(k) for k in SETTING_KEYS},
        changed=changed,
        problems={k: tuple(v) for k, v in problems.items()},
        unsaved=draft.unsaved_changes,
        based_on=draft.based_on,
        versions=tuple(list_versions(session, account_id)[:10]),
        mappings=mappings,
    )


__all__ = [
    "DIRECTION_LABELS",
    "MappingView",
    "PropertyChoice",
    "RowView",
    "SettingsView",
    "allowed_directions",
    "settings_view",
]
