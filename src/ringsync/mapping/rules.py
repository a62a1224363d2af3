"""Mapping rules: what the admin may add, change and remove, checked all at once.

Rows are keyed by their Salesforce field (API names compare case-insensitively, as in
Salesforce). Every check returns :class:`~ringsync.errors.Problem` values; the operations raise
one :class:`~ringsync.errors.ValidationError` carrying every problem, and never change their
input (they return a new tuple).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ringsync.errors import Problem, ValidationError
from ringsync.mapping.catalog import (
    PROPERTIES,
    Direction,
    FieldKind,
    FieldMapping,
    PropertyDef,
    TooLongPolicy,
)
from ringsync.mapping.compat import compatible
from ringsync.mapping.fieldinfo import FieldInfo, field_index

LOCKED = "locked"
PROHIBITED = "prohibited"
DELETABLE = "deletable"

LOCKED_PROPERTY = "phone"
LOCKED_FIELD = "Phone"
OWNER_PROPERTY = "owner"
OWNER_FIELD = "OwnerId"

# Describe types that cannot be mapped to a single property (compound or system values).
_UNMAPPABLE_TYPES = frozenset({"id", "address", "location", "base64", "anytype", "complexvalue"})

Describe = Mapping[str, Any] | Iterable[Mapping[str, Any]]


def _key(name: str) -> str:
    """Return the case-insensitive key of a Salesforce API name."""
    return name.lower()


def _find(mappings: Sequence[FieldMapping], salesforce_field: str) -> FieldMapping | None:
    """Return the row mapped to ``salesforce_field`` (any letter case), or None."""
    wanted = _key(salesforce_field)
    return next((m for m in mappings if _key(m.salesforce_field) == wanted), None)


def _is_locked_pair(row: FieldMapping) -> bool:
    """Tell whether a row pairs the locked property with the locked field."""
    same_field = _key(row.salesforce_field) == _key(LOCKED_FIELD)
    return row.ringsync_property == LOCKED_PROPERTY and same_field


def _row_problems(row: FieldMapping, properties: Mapping[str, PropertyDef]) -> list[Problem]:
    """Check one row on its own: known property, locked and special pairs, tracking direction."""
    problems: list[Problem] = []
    where = row.salesforce_field
    prop = properties.get(row.ringsync_property)
    if prop is None:
        problems.append(
            Problem(
                where, f"unknown ringsync property '{row.ringsync_property}'", "unknown_property"
            )
        )
    if not row.salesforce_field.strip():
        problems.append(Problem(where, "a Salesforce field is required", "required"))
    is_locked_pair = _is_locked_pair(row)
    if row.kind is FieldKind.LOCKED and not is_locked_pair:
        problems.append(Problem(where, "only Phone Number <-> Phone is a locked field", "locked"))
    if is_locked_pair and (row.kind is not FieldKind.LOCKED or row.direction is not Direction.BOTH):
        problems.append(
            Problem(
                where, "Phone is locked to Phone Number (both ways) and cannot be changed", "locked"
            )
        )
    if (row.ringsync_property == OWNER_PROPERTY) != (_key(where) == _key(OWNER_FIELD)):
        problems.append(
            Problem(
                where,
                "Contact Owner maps only to OwnerId (through the user mapping), and OwnerId only "
                "to Contact Owner",
                "special",
            )
        )
    if prop is not None and prop.tracking and row.direction is not Direction.TO_SALESFORCE:
        problems.append(
            Problem(
                where,
                f"{prop.label} is a tracking field and syncs to Salesforce only",
                "tracking_outbound_only",
            )
        )
    return problems


def _duplicate_problems(mappings: Sequence[FieldMapping]) -> list[Problem]:
    """Report every field or property that appears in more than one row."""
    problems: list[Problem] = []
    seen_fields: dict[str, FieldMapping] = {}
    seen_props: dict[str, FieldMapping] = {}
    for row in mappings:
        first = seen_fields.setdefault(_key(row.salesforce_field), row)
        if first is not row:
            problems.append(
                Problem(
                    row.salesforce_field,
                    f"Salesforce field {first.salesforce_field} is already mapped to "
                    f"{first.ringsync_property}; a field cannot be mapped twice",
                    PROHIBITED,
                )
            )
        first = seen_props.setdefault(row.ringsync_property, row)
        if first is not row:
            problems.append(
                Problem(
                    row.salesforce_field,
                    f"ringsync property {row.ringsync_property} is already mapped to "
                    f"{first.salesforce_field}; a property cannot be mapped twice",
                    PROHIBITED,
                )
            )
    return problems


def _describe_problems(
    row: FieldMapping, fields: Mapping[str, FieldInfo], properties: Mapping[str, PropertyDef]
) -> list[Problem]:
    """Check a row against the org: the field exists, its type fits, it is writable if needed."""
    where = row.salesforce_field
    info = fields.get(_key(where))
    if info is None:
        return [Problem(where, f"Salesforce has no field {where} on this object", "unknown_field")]
    problems: list[Problem] = []
    prop = properties.get(row.ringsync_property)
    if prop is not None and not compatible(prop.value_type, info.type, row.direction):
        problems.append(
            Problem(
                where,
                f"Salesforce field {info.name} is a {info.type} field and cannot sync "
                f"{row.direction} with {prop.label} ({prop.value_type})",
                "incompatible_type",
            )
        )
    if row.direction.outbound and not info.writable:
        problems.append(
            Problem(
                where,
                f"Salesforce field {info.name} is read-only; map it from Salesforce only",
                "not_writable",
            )
        )
    return problems


def validate_mappings(
    mappings: Sequence[FieldMapping],
    describe: Describe | None = None,
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> list[Problem]:
    """Return every problem of a whole mapping (and, given a describe, against the org)."""
    problems: list[Problem] = []
    if not any(_is_locked_pair(row) for row in mappings):
        problems.append(
            Problem(LOCKED_FIELD, "the locked Phone Number <-> Phone mapping is missing", "locked")
        )
    for row in mappings:
        problems.extend(_row_problems(row, properties))
    problems.extend(_duplicate_problems(mappings))
    if describe is not None:
        fields = field_index(describe)
        for row in mappings:
            problems.extend(_describe_problems(row, fields, properties))
    return problems


def _raise_if(problems: list[Problem], message: str) -> None:
    """Raise one ValidationError with every problem, if there are any."""
    if problems:
        raise ValidationError(message, problems)


def _only_new(
    problems: list[Problem],
    before: Sequence[FieldMapping],
    properties: Mapping[str, PropertyDef],
) -> list[Problem]:
    """Keep the problems an operation introduced, not those the mapping already had."""
    old = set(validate_mappings(before, properties=properties))
    return [p for p in problems if p not in old]


def add_mapping(
    mappings: Sequence[FieldMapping],
    row: FieldMapping,
    describe: Describe | None = None,
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> tuple[FieldMapping, ...]:
    """Return the mapping with ``row`` added; raise ValidationError listing every problem."""
    after = (*mappings, row)
    problems = _only_new(validate_mappings(after, properties=properties), mappings, properties)
    if describe is not None:
        problems += _describe_problems(row, field_index(describe), properties)
    _raise_if(problems, f"{row.salesforce_field} cannot be mapped")
    return after


def _existing(mappings: Sequence[FieldMapping], salesforce_field: str) -> FieldMapping:
    """Return the row for ``salesforce_field`` or raise a not-found ValidationError."""
    row = _find(mappings, salesforce_field)
    if row is None:
        problem = Problem(salesforce_field, f"{salesforce_field} is not mapped", "not_found")
        raise ValidationError(f"{salesforce_field} is not mapped", [problem])
    return row


def _locked_problem(row: FieldMapping, action: str) -> list[Problem]:
    """Refuse any change to the locked row."""
    if row.kind is FieldKind.LOCKED:
        reason = f"{row.salesforce_field} is locked and cannot be {action}"
        return [Problem(row.salesforce_field, reason, LOCKED)]
    return []


def _swap(
    mappings: Sequence[FieldMapping], old: FieldMapping, new: FieldMapping
) -> tuple[FieldMapping, ...]:
    """Return the mapping with ``old`` replaced by ``new`` in place."""
    return tuple(new if m is old else m for m in mappings)


def change_direction(
    mappings: Sequence[FieldMapping],
    salesforce_field: str,
    direction: Direction,
    describe: Describe | None = None,
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> tuple[FieldMapping, ...]:
    """Return the mapping with one row's direction changed; raise ValidationError if not allowed."""
    row = _existing(mappings, salesforce_field)
    problems = _locked_problem(row, "changed")
    if problems:
        raise ValidationError(f"{row.salesforce_field} cannot be changed", problems)
    new = replace(row, direction=Direction(direction))
    return _checked_swap(mappings, row, new, describe, properties)


def change_field(
    mappings: Sequence[FieldMapping],
    salesforce_field: str,
    new_field: str,
    describe: Describe | None = None,
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> tuple[FieldMapping, ...]:
    """Return the mapping with one row pointed at another Salesforce field."""
    row = _existing(mappings, salesforce_field)
    problems = _locked_problem(row, "changed")
    if problems:
        raise ValidationError(f"{row.salesforce_field} cannot be changed", problems)
    info = field_index(describe).get(_key(new_field)) if describe is not None else None
    new = replace(
        row,
        salesforce_field=info.name if info else new_field,
        salesforce_label=info.label if info else new_field,
        salesforce_type=info.type_text if info else "",
    )
    return _checked_swap(mappings, row, new, describe, properties)


def custom_mapping(
    ringsync_property: str,
    field: FieldInfo | Mapping[str, Any],
    direction: Direction = Direction.BOTH,
    too_long: TooLongPolicy = TooLongPolicy.TRUNCATE,
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> FieldMapping:
    """Build a custom row for a property and a described field (check it with add_mapping)."""
    info = field if isinstance(field, FieldInfo) else FieldInfo.from_describe(field)
    prop = properties.get(ringsync_property)
    return FieldMapping(
        ringsync_property=ringsync_property,
        salesforce_field=info.name,
        salesforce_label=info.label,
        salesforce_type=info.type_text,
        kind=FieldKind.CUSTOM,
        direction=Direction(direction),
        too_long=TooLongPolicy(too_long),
        label=prop.label if prop else ringsync_property,
    )


def change_policy(
    mappings: Sequence[FieldMapping], salesforce_field: str, policy: TooLongPolicy
) -> tuple[FieldMapping, ...]:
    """Return the mapping with one row's refusal policy (truncate, skip, fail) changed."""
    row = _existing(mappings, salesforce_field)
    return _swap(mappings, row, replace(row, too_long=TooLongPolicy(policy)))


def _checked_swap(
    mappings: Sequence[FieldMapping],
    old: FieldMapping,
    new: FieldMapping,
    describe: Describe | None,
    properties: Mapping[str, PropertyDef],
) -> tuple[FieldMapping, ...]:
    """Swap a row and raise ValidationError with every problem the swap introduces."""
    after = _swap(mappings, old, new)
    problems = _only_new(validate_mappings(after, properties=properties), mappings, properties)
    if describe is not None:
        problems += _describe_problems(new, field_index(describe), properties)
    _raise_if(problems, f"{old.salesforce_field} cannot be changed")
    return after


def remove_mapping(
    mappings: Sequence[FieldMapping], salesforce_field: str
) -> tuple[FieldMapping, ...]:
    """Return the mapping without one row; the locked row cannot be removed."""
    row = _existing(mappings, salesforce_field)
    _raise_if(_locked_problem(row, "removed"), f"{row.salesforce_field} cannot be removed")
    return tuple(m for m in mappings if m is not row)


def legend(row: FieldMapping, mappings: Sequence[FieldMapping]) -> set[str]:
    """Return the UI legend of a row: locked, deletable (mapped rows) or prohibited (candidates)."""
    if row.kind is FieldKind.LOCKED:
        return {LOCKED}
    if row in mappings:
        return {DELETABLE}
    field_taken = _find(mappings, row.salesforce_field) is not None
    property_taken = any(m.ringsync_property == row.ringsync_property for m in mappings)
    return {PROHIBITED} if field_taken or property_taken else set()


@dataclass(frozen=True)
class Candidate:
    """A Salesforce field offered in the "add mapping" list, flagged if it is already taken."""

    name: str
    label: str
    type: str
    prohibited: bool
    mapped_to: str | None
    writable: bool

    @property
    def legends(self) -> set[str]:
        """Return the legend shown beside the candidate."""
        return {PROHIBITED} if self.prohibited else set()


def available_fields(describe: Describe, mappings: Sequence[FieldMapping]) -> list[Candidate]:
    """List every mappable field of the describe, sorted by label, prohibited where mapped."""
    taken = {_key(m.salesforce_field): m.ringsync_property for m in mappings}
    candidates = [
        Candidate(
            name=info.name,
            label=info.label,
            type=info.type,
            prohibited=_key(info.name) in taken,
            mapped_to=taken.get(_key(info.name)),
            writable=info.writable,
        )
        for info in field_index(describe).values()
        if info.type not in _UNMAPPABLE_TYPES
    ]
    return sorted(candidates, key=lambda c: (c.label.lower(), c.name.lower()))


__all__ = [
    "DELETABLE",
    "LOCKED",
    "PROHIBITED",
    "Candidate",
    "add_mapping",
    "available_fields",
    "change_direction",
    "change_field",
    "change_policy",
    "custom_mapping",
    "legend",
    "remove_mapping",
    "validate_mappings",
]
