"""Typed sObject describes and a TTL cache, so validation never re-fetches on every write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ringsync.clock import Clock
from ringsync.errors import UnexpectedResponseError
from ringsync.salesforce.soql import AllowList


@dataclass(frozen=True)
class PicklistEntry:
    """One picklist value as describe lists it."""

    value: str
    label: str
    active: bool
    default: bool


@dataclass(frozen=True)
class FieldDescribe:
    """The describe attributes of one field that sync decisions depend on."""

    name: str
    label: str
    type: str
    length: int
    nillable: bool
    createable: bool
    updateable: bool
    custom: bool
    external_id: bool
    unique: bool
    defaulted_on_create: bool
    restricted_picklist: bool
    picklist_values: tuple[PicklistEntry, ...]
    reference_to: tuple[str, ...]
    relationship_name: str | None

    @property
    def required_on_create(self) -> bool:
        """Tell whether Salesforce rejects a create that leaves this field out."""
        return self.createable and not self.nillable and not self.defaulted_on_create

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldDescribe:
        """Parse one entry of a describe's ``fields`` array."""
        picklist = tuple(
            PicklistEntry(
                value=str(p.get("value")),
                label=str(p.get("label") or p.get("value")),
                active=bool(p.get("active", True)),
                default=bool(p.get("defaultValue", False)),
            )
            for p in raw.get("picklistValues") or []
            if isinstance(p, dict)
        )
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label") or raw["name"]),
            type=str(raw.get("type") or "string"),
            length=int(raw.get("length") or 0),
            nillable=bool(raw.get("nillable", True)),
            createable=bool(raw.get("createable", False)),
            updateable=bool(raw.get("updateable", False)),
            custom=bool(raw.get("custom", False)),
            external_id=bool(raw.get("externalId", False)),
            unique=bool(raw.get("unique", False)),
            defaulted_on_create=bool(raw.get("defaultedOnCreate", False)),
            restricted_picklist=bool(raw.get("restrictedPicklist", False)),
            picklist_values=picklist,
            reference_to=tuple(str(r) for r in raw.get("referenceTo") or []),
            relationship_name=raw.get("relationshipName") or None,
        )


@dataclass(frozen=True)
class SObjectDescribe:
    """One object's describe: its flags and fields by lower-cased name."""

    name: str
    label: str
    createable: bool
    updateable: bool
    deletable: bool
    queryable: bool
    fields: dict[str, FieldDescribe]

    def field(self, name: str) -> FieldDescribe | None:
        """Return the field named ``name`` in any letter case, or None."""
        return self.fields.get(name.lower())

    def names(self) -> list[str]:
        """Return field names plus relationship names (what SOQL may reference)."""
        out = [f.name for f in self.fields.values()]
        out.extend(f.relationship_name for f in self.fields.values() if f.relationship_name)
        return out

    @classmethod
    def from_json(cls, body: Any) -> SObjectDescribe:
        """Parse a ``/sobjects/{name}/describe`` body."""
        if not isinstance(body, dict) or "name" not in body:
            raise UnexpectedResponseError("Salesforce returned a malformed describe")
        fields = {}
        for raw in body.get("fields") or []:
            if isinstance(raw, dict) and "name" in raw:
                parsed = FieldDescribe.from_json(raw)
                fields[parsed.name.lower()] = parsed
        return cls(
            name=str(body["name"]),
            label=str(body.get("label") or body["name"]),
            createable=bool(body.get("createable", False)),
            updateable=bool(body.get("updateable", False)),
            deletable=bool(body.get("deletable", False)),
            queryable=bool(body.get("queryable", True)),
            fields=fields,
        )


@dataclass(frozen=True)
class GlobalSObject:
    """One object as describe-global lists it."""

    name: str
    label: str
    custom: bool
    queryable: bool
    createable: bool
    updateable: bool

    @classmethod
    def from_json(cls, raw: Any) -> GlobalSObject:
        """Parse one entry of describe-global's ``sobjects`` array."""
        if not isinstance(raw, dict) or "name" not in raw:
            raise UnexpectedResponseError("Salesforce returned a malformed describe-global entry")
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label") or raw["name"]),
            custom=bool(raw.get("custom", False)),
            queryable=bool(raw.get("queryable", False)),
            createable=bool(raw.get("createable", False)),
            updateable=bool(raw.get("updateable", False)),
        )


def allow_list(*describes: SObjectDescribe) -> AllowList:
    """Return the SOQL allow-list for these objects."""
    return AllowList({d.name: d.names() for d in describes})


class DescribeCache:
    """Keep describes for ``ttl``, loading each object at most once at a time."""

    def __init__(self, clock: Clock, ttl: timedelta = timedelta(minutes=15)) -> None:
        """Cache for ``ttl`` on ``clock``."""
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, tuple[datetime, SObjectDescribe]] = {}
        self._lock = threading.Lock()

    def get(self, sobject: str, load: Callable[[], SObjectDescribe]) -> SObjectDescribe:
        """Return the cached describe of ``sobject`` or load it with ``load``."""
        key = sobject.lower()
        with self._lock:
            entry = self._entries.get(key)
            now = self._clock.now()
            if entry is not None and now - entry[0] < self._ttl:
                return entry[1]
            described = load()
            self._entries[key] = (now, described)
            return described

    def invalidate(self, sobject: str | None = None) -> None:
        """Forget one object's describe, or all of them (after a mapping change)."""
        with self._lock:
            if sobject is None:
                self._entries.clear()
            else:
                self._entries.pop(sobject.lower(), None)


__all__ = [
    "DescribeCache",
    "FieldDescribe",
    "GlobalSObject",
    "PicklistEntry",
    "SObjectDescribe",
    "allow_list",
]
