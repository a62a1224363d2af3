"""A small hand-built catalog and record store for the SOQL tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from sfemu.schema import FieldDef, ObjectDef
from sfemu.soql import CompiledQuery, EvalContext, compile_query

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def _object(name: str, prefix: str, fields: list[FieldDef]) -> ObjectDef:
    obj = ObjectDef(name, prefix, name, name + "s")
    obj.add(FieldDef("Id", "id"))
    obj.add(FieldDef("IsDeleted", "boolean", nillable=False))
    obj.add(FieldDef("SystemModstamp", "datetime"))
    for f in fields:
        obj.add(f)
    return obj


class Catalog:
    """Objects by name, looked up in any letter case."""

    def __init__(self, objects: list[ObjectDef]) -> None:
        self.objects = {o.name.lower(): o for o in objects}

    def find_sobject(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower())


def build_catalog() -> Catalog:
    profile = _object("Profile", "00e", [FieldDef("Name", "string")])
    user = _object(
        "User",
        "005",
        [
            FieldDef("Name", "string"),
            FieldDef("Email", "email"),
            FieldDef("IsActive", "boolean"),
            FieldDef(
                "ProfileId", "reference", reference_to=["Profile"], relationship_name="Profile"
            ),
        ],
    )
    group = _object("Group", "00G", [FieldDef("Name", "string"), FieldDef("Email", "email")])
    account = _object("Account", "001", [FieldDef("Name", "string")])
    lead = _object(
        "Lead",
        "00Q",
        [
            FieldDef("FirstName", "string"),
            FieldDef("LastName", "string"),
            FieldDef("Company", "string"),
            FieldDef("Email", "email"),
            FieldDef("Phone", "phone"),
            FieldDef("Status", "picklist"),
            FieldDef("Interests__c", "multipicklist", custom=True),
            FieldDef("Score__c", "double", custom=True),
            FieldDef("NumberOfEmployees", "int"),
            FieldDef("DoNotCall", "boolean"),
            FieldDef("CreatedDate", "datetime"),
            FieldDef("ConvertedDate", "date"),
            FieldDef("CallTime__c", "time", custom=True),
            FieldDef("Description", "textarea", filterable=False, sortable=False),
            FieldDef("Street", "textarea", compound_field_name="Address"),
            FieldDef("City", "string", compound_field_name="Address"),
            FieldDef("PostalCode", "string", compound_field_name="Address"),
            FieldDef("Latitude", "double", compound_field_name="Address"),
            FieldDef("Address", "address", filterable=False),
            FieldDef(
                "OwnerId", "reference", reference_to=["User", "Group"], relationship_name="Owner"
            ),
            FieldDef(
                "ConvertedAccountId",
                "reference",
                reference_to=["Account"],
                relationship_name="ConvertedAccount",
            ),
        ],
    )
    return Catalog([lead, user, group, profile, account])


def make_id(prefix: str, n: int) -> str:
    """Return an 18-char-looking id with the object's key prefix."""
    return f"{prefix}000000{n:06d}AAA"


class Store:
    """Records by id, with the id-prefix to object mapping the context needs."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.records: dict[str, dict[str, Any]] = {}

    def add(self, obj: str, n: int, **values: Any) -> dict[str, Any]:
        sobject = self.catalog.objects[obj.lower()]
        record = {"Id": make_id(sobject.key_prefix, n), "IsDeleted": False, **values}
        self.records[record["Id"]] = record
        return record

    def lookup(self, record_id: str) -> Mapping[str, Any] | None:
        return self.records.get(record_id)

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        for obj in self.catalog.objects.values():
            if record_id.startswith(obj.key_prefix):
                return obj
        return None

    def context(self, now: datetime = NOW) -> EvalContext:
        return EvalContext(lookup=self.lookup, object_for_id=self.object_for_id, now=now)


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture
def store(catalog: Catalog) -> Store:
    return Store(catalog)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def compile_soql(catalog: Catalog) -> Callable[..., CompiledQuery]:
    """Compile against the test catalog."""

    def compile_(text: str, *, all_rows: bool = False) -> CompiledQuery:
        return compile_query(text, catalog, all_rows=all_rows)

    return compile_
