"""SyncSettings: what the admin's Salesforce tab controls, per account.

The model checks single fields (types, ranges, choices); `settings_problems` adds the rules that
span fields (priority when both objects sync, mapping rules, known properties) so a draft can
report every problem at once instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from ringsync.domain.phones import is_supported_region
from ringsync.errors import Problem
from ringsync.mapping.catalog import PROPERTIES, FieldMapping, SyncObject, default_mapping
from ringsync.mapping.rules import validate_mappings
from ringsync.sync.conflicts import ConflictPolicy

MIN_POLL_SECONDS = 30


class ObjectMode(StrEnum):
    """Which Salesforce objects sync: Leads, Contacts, or both."""

    LEADS = "leads"
    CONTACTS = "contacts"
    BOTH = "both"


class SyncDirection(StrEnum):
    """``inbound``: Salesforce -> us only; ``both``: also us -> Salesforce."""

    INBOUND = "inbound"
    BOTH = "both"


class LeadDefaults(BaseModel):
    """Fillers for fields Salesforce requires on a Lead when we have no value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    last_name: str = Field(default="Unknown", min_length=1, max_length=80)
    company: str = Field(default="Unknown", min_length=1, max_length=255)


class SyncSettings(BaseModel):
    """One account's sync settings (a saved version or a validated draft)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    object_mode: ObjectMode = ObjectMode.LEADS
    create_direction: SyncDirection = SyncDirection.INBOUND
    update_direction: SyncDirection = SyncDirection.BOTH
    priority: SyncObject | None = None
    default_conflict_policy: ConflictPolicy = ConflictPolicy.SALESFORCE_WINS
    conflict_policies: dict[str, ConflictPolicy] = Field(default_factory=dict)
    phone_region: str = Field(default="US", min_length=2, max_length=2)
    poll_interval_seconds: int = Field(default=300, ge=MIN_POLL_SECONDS, le=86_400)
    lead_mappings: list[dict[str, str]] = Field(
        default_factory=lambda: [m.to_dict() for m in default_mapping(SyncObject.LEAD)]
    )
    contact_mappings: list[dict[str, str]] = Field(
        default_factory=lambda: [m.to_dict() for m in default_mapping(SyncObject.CONTACT)]
    )
    lrn_price_per_lookup: Decimal = Field(
        default=Decimal("0.0035"), ge=0, le=10, max_digits=8, decimal_places=5
    )
    lead_defaults: LeadDefaults = Field(default_factory=LeadDefaults)

    def mappings_for(self, obj: SyncObject) -> tuple[FieldMapping, ...]:
        """Return the typed mapping rows of one object."""
        rows = self.lead_mappings if obj is SyncObject.LEAD else self.contact_mappings
        return tuple(FieldMapping.from_dict(row) for row in rows)

    def policy_for(self, prop: str) -> ConflictPolicy:
        """Return the conflict policy of one property (its own or the default)."""
        return self.conflict_policies.get(prop, self.default_conflict_policy)

    def objects(self) -> tuple[SyncObject, ...]:
        """Return the objects that sync, the priority object first."""
        if self.object_mode is ObjectMode.LEADS:
            return (SyncObject.LEAD,)
        if self.object_mode is ObjectMode.CONTACTS:
            return (SyncObject.CONTACT,)
        first = self.priority or SyncObject.LEAD
        other = SyncObject.CONTACT if first is SyncObject.LEAD else SyncObject.LEAD
        return (first, other)

    def as_data(self) -> dict[str, Any]:
        """Return JSON-ready data (the form saved in versions and export files)."""
        return self.model_dump(mode="json")


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _pydantic_problems(exc: PydanticValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        where = _location(error["loc"]) or "settings"
        problems.append(Problem(where, f"{where}: {error['msg']}", error["type"]))
    return problems


def _mapping_problems(key: str, rows: Any) -> list[Problem]:
    if not isinstance(rows, list):
        return []
    typed: list[FieldMapping] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        try:
            typed.append(FieldMapping.from_dict(row))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            reason = f"{key}.{index}: not a valid mapping row ({exc})"
            problems.append(Problem(f"{key}.{index}", reason, "bad_mapping"))
    if not problems:
        for problem in validate_mappings(typed):
            where = f"{key}.{problem.field}"
            problems.append(Problem(where, f"{key}: {problem.reason}", problem.code))
    return problems


def _cross_field_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if data.get("object_mode") == ObjectMode.BOTH.value and not data.get("priority"):
        problems.append(
            Problem(
                "priority",
                "priority: choose Lead or Contact when both objects sync",
                "required",
            )
        )
    region = data.get("phone_region")
    if isinstance(region, str) and len(region) == 2 and not is_supported_region(region):
        problems.append(
            Problem("phone_region", f"phone_region: unknown region {region!r}", "bad_region")
        )
    policies = data.get("conflict_policies")
    if isinstance(policies, Mapping):
        for prop in policies:
            known = PROPERTIES.get(str(prop))
            if known is None:
                problems.append(
                    Problem(
                        f"conflict_policies.{prop}",
                        f"conflict_policies: unknown property {prop!r}",
                        "unknown",
                    )
                )
            elif known.tracking:
                problems.append(
                    Problem(
                        f"conflict_policies.{prop}",
                        f"conflict_policies: {prop} only flows to Salesforce; no conflict",
                        "tracking",
                    )
                )
    problems += _mapping_problems("lead_mappings", data.get("lead_mappings"))
    problems += _mapping_problems("contact_mappings", data.get("contact_mappings"))
    return problems


def settings_problems(data: Mapping[str, Any]) -> tuple[SyncSettings | None, list[Problem]]:
    """Validate settings data; return the settings (None if invalid) and every problem found."""
    problems: list[Problem] = []
    settings: SyncSettings | None = None
    try:
        settings = SyncSettings.model_validate(dict(data))
    except PydanticValidationError as exc:
        problems += _pydantic_problems(exc)
    problems += _cross_field_problems(data)
    return (settings if not problems else None), problems


def default_settings(phone_region: str = "US") -> SyncSettings:
    """Return the settings a new account starts with."""
    return SyncSettings(phone_region=phone_region)


__all__ = [
    "MIN_POLL_SECONDS",
    "ConflictPolicy",
    "LeadDefaults",
    "ObjectMode",
    "SyncDirection",
    "SyncSettings",
    "default_settings",
    "settings_problems",
]
