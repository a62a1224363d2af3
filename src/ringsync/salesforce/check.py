"""Check a Salesforce connection before syncing: API access, budget, and every mapped field.

The admin sees one line per problem with the fix in words ("Grant Edit on Lead.DNC__c to the
integration user's profile"), instead of discovering it as failed records later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ringsync.errors import RingsyncError
from ringsync.salesforce.budget import BudgetSnapshot
from ringsync.salesforce.describe import SObjectDescribe
from ringsync.salesforce.models import OrgLimits


class CheckedClient(Protocol):
    """What the check needs from the Salesforce client."""

    def limits(self) -> OrgLimits:
        """Return the org's limits."""
        ...

    def describe(self, sobject: str) -> SObjectDescribe:
        """Return an object's describe."""
        ...

    @property
    def budget_snapshot(self) -> BudgetSnapshot:
        """Return the API budget's state."""
        ...


@dataclass(frozen=True)
class FieldRequirement:
    """A mapped field: which object, which field, and whether we write to it."""

    sobject: str
    field: str
    needs_update: bool


@dataclass(frozen=True)
class FieldCheck:
    """The verdict on one mapped field."""

    sobject: str
    field: str
    exists: bool
    readable: bool
    updateable: bool
    ok: bool
    fix: str | None = None


@dataclass(frozen=True)
class ConnectionCheck:
    """The whole verdict: API access, budget, and one line per mapped field."""

    api_ok: bool
    api_error: str | None
    budget: BudgetSnapshot | None
    daily_api_max: int | None
    daily_api_remaining: int | None
    fields: list[FieldCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether everything passed."""
        return self.api_ok and all(f.ok for f in self.fields)


def check_connection(
    client: CheckedClient, requirements: Iterable[FieldRequirement]
) -> ConnectionCheck:
    """Run the connection check; never raises for a Salesforce-side problem."""
    try:
        limits = client.limits()
    except RingsyncError as exc:
        return ConnectionCheck(
            api_ok=False,
            api_error=f"Salesforce API access failed: {exc.message}",
            budget=None,
            daily_api_max=None,
            daily_api_remaining=None,
        )
    daily = limits.daily_api_requests
    results: list[FieldCheck] = []
    describes: dict[str, SObjectDescribe | RingsyncError] = {}
    for req in requirements:
        key = req.sobject.lower()
        if key not in describes:
            try:
                describes[key] = client.describe(req.sobject)
            except RingsyncError as exc:
                describes[key] = exc
        results.append(_check_field(req, describes[key]))
    return ConnectionCheck(
        api_ok=True,
        api_error=None,
        budget=client.budget_snapshot,
        daily_api_max=daily.max if daily else None,
        daily_api_remaining=daily.remaining if daily else None,
        fields=results,
    )


def _check_field(req: FieldRequirement, described: SObjectDescribe | RingsyncError) -> FieldCheck:
    """Judge one mapped field against its object's describe."""
    name = f"{req.sobject}.{req.field}"
    if isinstance(described, RingsyncError):
        return FieldCheck(
            req.sobject,
            req.field,
            exists=False,
            readable=False,
            updateable=False,
            ok=False,
            fix=f"Give the integration user access to the {req.sobject} object "
            f"(Salesforce said: {described.message})",
        )
    found = described.field(req.field)
    if found is None:
        return FieldCheck(
            req.sobject,
            req.field,
            exists=False,
            readable=False,
            updateable=False,
            ok=False,
            fix=f"Create the field {name} in Salesforce, or grant Read on it to the "
            "integration user's profile (fields without access are invisible)",
        )
    if req.needs_update and not found.updateable:
        return FieldCheck(
            req.sobject,
            found.name,
            exists=True,
            readable=True,
            updateable=False,
            ok=False,
            fix=f"Grant Edit on {described.name}.{found.name} to the integration user's profile, "
            "or set this field's direction to 'from Salesforce only'",
        )
    return FieldCheck(
        req.sobject, found.name, exists=True, readable=True, updateable=found.updateable, ok=True
    )


__all__ = ["ConnectionCheck", "FieldCheck", "FieldRequirement", "check_connection"]
