"""Record storage and the write path: coercion, validation, indexes, recycle bin.

Records hold only non-null values (a missing key is null) so a million leads stay lean.
Unique and external-id fields are indexed in dicts (value -> ids of live records), so upserts
and external-id lookups are O(1). Per-object write plans (defaults, required fields, indexed
fields) are cached and rebuilt when the schema changes. Every record's (SystemModstamp, Id) key
is kept in :class:`sfemu.modstamp_index.ModstampIndex`: inserts, ``_restamp`` (update, delete,
undelete, system writes), purge and restore are the only places that move it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfemu.errors import SalesforceError
from sfemu.ids import parse_id
from sfemu.modstamp_index import ModstampIndex
from sfemu.schema import FieldDef, ObjectDef
from sfemu.validation_rules import ValidationRule
from sfemu.values import coerce
from sfemu.write_plan import (
    NAME_PARTS,
    WritePlan,
    build_plan,
    coerce_payload,
    full_name,
    index_key,
    not_allowed,
)

if TYPE_CHECKING:
    from sfemu.org import Org


class RecordStore:
    """All records of one org, with their indexes, recycle bin and validation rules."""

    def __init__(self, org: Org) -> None:
        """Start empty; ``org`` supplies the clock, ids and the object catalog."""
        self.org = org
        self.records: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, dict[str, dict[str, Any]]] = {obj.name: {} for obj in org.sobjects()}
        self.indexes: dict[tuple[str, str], dict[Any, list[str]]] = {}
        self.deleted_at: dict[str, str] = {}
        self.rules: dict[str, list[ValidationRule]] = {}
        self.modstamps = ModstampIndex()
        self._deleted_counts: dict[str, int] = {}
        self._plans: dict[str, WritePlan] = {}

    # --- schema -----------------------------------------------------------------------------
    def plan(self, obj: ObjectDef) -> WritePlan:
        """Return the cached write plan of an object."""
        plan = self._plans.get(obj.name)
        if plan is None:
            plan = self._plans[obj.name] = build_plan(obj)
        return plan

    def schema_changed(self, obj: ObjectDef, new_field: FieldDef | None = None) -> None:
        """Forget the object's plan and index existing values of a new unique/external field."""
        self._plans.pop(obj.name, None)
        if new_field is not None and (new_field.unique or new_field.external_id):
            index = self.indexes.setdefault((obj.name, new_field.name), {})
            for record in self.tables[obj.name].values():
                value = record.get(new_field.name)
                if value is not None and not record.get("IsDeleted"):
                    index.setdefault(index_key(new_field, value), []).append(record["Id"])

    def deleted_count(self, sobject: str) -> int:
        """Return how many records of a type sit in the recycle bin."""
        return self._deleted_counts.get(sobject, 0)

    # --- reads ------------------------------------------------------------------------------
    def find_by_field(self, obj: ObjectDef, name: str, value: Any) -> list[str]:
        """Return ids of live records whose field equals ``value``."""
        f = obj.field(name)
        if f is None:
            raise SalesforceError(
                "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}"
            )
        if value is None or value == "":
            return []
        try:
            wanted = coerce(f, value)
        except SalesforceError:
            return []
        if f.type in ("id", "reference"):
            wanted = parse_id(str(wanted))
            if wanted is None:
                return []
        index = self.indexes.get((obj.name, f.name))
        key = index_key(f, wanted)
        if index is not None:
            return list(index.get(key, ()))
        return [
            rid
            for rid, record in self.tables[obj.name].items()
            if not record.get("IsDeleted") and index_key(f, record.get(f.name)) == key
        ]

    # --- writes -----------------------------------------------------------------------------
    def create(self, obj: ObjectDef, values: Mapping[str, Any], actor: str) -> str:
        """Validate and insert one record made by ``actor``; return its id."""
        if not obj.createable:
            raise not_allowed(obj, "inserted")
        changes = coerce_payload(obj, values, record_id=None)
        plan = self.plan(obj)
        record: dict[str, Any] = dict(plan.defaults)
        if plan.has_owner:
            record["OwnerId"] = actor
        for name, value in changes.items():
            if value is not None:
                record[name] = value
        missing = [name for name in plan.required if name not in record]
        if missing:
            raise SalesforceError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                fields=missing,
            )
        self._check_references(obj, changes, record)
        if plan.person_name:
            record["Name"] = full_name(record)
        self._run_rules(obj, record)
        self._check_unique(obj, plan, record, None)
        record_id = self.org.ids.next_id(obj.key_prefix)
        stamp = self.org.stamp()
        record["Id"] = record_id
        record["IsDeleted"] = False
        record["CreatedDate"] = record["LastModifiedDate"] = record["SystemModstamp"] = stamp
        record["CreatedById"] = record["LastModifiedById"] = actor
        self._insert(obj, record)
        return record_id

    def update(
        self, obj: ObjectDef, record: dict[str, Any], values: Mapping[str, Any], actor: str
    ) -> None:
        """Validate and apply ``values`` to a live record as ``actor``."""
        if not obj.updateable:
            raise not_allowed(obj, "updated")
        if obj.name == "Lead" and record.get("IsConverted"):
            raise SalesforceError(
                "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", fields=[]
            )
        changes = coerce_payload(obj, values, record_id=record["Id"])
        nulled = [n for n, v in changes.items() if v is None and not obj.fields[n.lower()].nillable]
        if nulled:
            raise SalesforceError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(nulled)}]",
                fields=nulled,
            )
        plan = self.plan(obj)
        after = {**record, **changes}
        self._check_references(obj, changes, after)
        if plan.person_name and any(p in changes for p in NAME_PARTS):
            after["Name"] = changes["Name"] = full_name(
                {k: v for k, v in after.items() if v is not None}
            )
        if self.rules.get(obj.name):
            self._run_rules(obj, {k: v for k, v in after.items() if v is not None})
        self._check_unique(obj, plan, changes, record["Id"])
        self._apply(obj, plan, record, changes, actor)

    def delete(self, obj: ObjectDef, record: dict[str, Any]) -> None:
        """Move a live record to the recycle bin."""
        if not obj.deletable:
            raise not_allowed(obj, "deleted")
        stamp = self.org.stamp()
        record["IsDeleted"] = True
        self._restamp(obj, record, stamp)
        self.deleted_at[record["Id"]] = stamp
        self._deleted_counts[obj.name] = self._deleted_counts.get(obj.name, 0) + 1
        self._unindex(obj, record)

    def undelete(self, obj: ObjectDef, record: dict[str, Any], actor: str) -> None:
        """Restore a record from the recycle bin, unless its unique values are now taken."""
        if not obj.undeletable:
            raise not_allowed(obj, "undeleted")
        self._check_unique(obj, self.plan(obj), record, record["Id"])
        stamp = self.org.stamp()
        record["IsDeleted"] = False
        record["LastModifiedDate"] = stamp
        self._restamp(obj, record, stamp)
        record["LastModifiedById"] = actor
        del self.deleted_at[record["Id"]]
        self._deleted_counts[obj.name] -= 1
        self._index(obj, record)

    def purge(self, obj: ObjectDef, record: dict[str, Any]) -> None:
        """Remove a record and every trace of it (no recycle bin)."""
        if record.get("IsDeleted"):
            del self.deleted_at[record["Id"]]
            self._deleted_counts[obj.name] -= 1
        else:
            self._unindex(obj, record)
        self.modstamps.move(obj.name, record["Id"], record["SystemModstamp"], None)
        del self.records[record["Id"]]
        del self.tables[obj.name][record["Id"]]

    def insert_raw(
        self, obj: ObjectDef, values: dict[str, Any], *, record_id: str | None = None
    ) -> str:
        """Insert wire values without validation, as the platform does for setup data."""
        record: dict[str, Any] = dict(self.plan(obj).defaults)
        record.update((k, v) for k, v in values.items() if v is not None)
        rid = record_id or self.org.ids.next_id(obj.key_prefix)
        actor = values.get("CreatedById") or self.org.admin_user_id
        stamp = self.org.stamp()
        record["Id"] = rid
        record["IsDeleted"] = False
        record.setdefault("CreatedDate", stamp)
        record.setdefault("LastModifiedDate", record["CreatedDate"])
        record.setdefault("SystemModstamp", record["LastModifiedDate"])
        record["CreatedById"] = actor
        record.setdefault("LastModifiedById", actor)
        if self.plan(obj).person_name:
            record["Name"] = full_name(record)
        self._insert(obj, record)
        return rid

    def set_raw(self, record: dict[str, Any], values: Mapping[str, Any], actor: str) -> None:
        """Set wire values the API cannot write, bumping the audit stamps."""
        obj = self.org.object_for_id(record["Id"])
        assert obj is not None
        self._apply(obj, self.plan(obj), record, dict(values), actor)

    # --- internals --------------------------------------------------------------------------
    def _check_references(
        self, obj: ObjectDef, changes: dict[str, Any], record: dict[str, Any]
    ) -> None:
        """Check each written reference: well formed, right type, existing, active owner."""
        for name, value in changes.items():
            if value is None:
                continue
            f = obj.fields[name.lower()]
            if f.type != "reference":
                continue
            canonical = self._reference(obj, f, value)
            changes[name] = record[name] = canonical

    def _reference(self, obj: ObjectDef, f: FieldDef, value: str) -> str:
        """Return the 18-char id a reference field may hold, or raise Salesforce's error."""
        canonical = parse_id(value)
        message = f"{f.label}: id value of incorrect type: {value}"
        if canonical is None:
            raise SalesforceError("MALFORMED_ID", message, fields=[f.name])
        if not any(self.org.find_sobject(t) for t in f.reference_to):
            return canonical  # the target type is not emulated (e.g. Opportunity)
        target = self.org.object_for_id(canonical)
        if target is None or target.name not in f.reference_to:
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", message, fields=[f.name])
        referenced = self.records.get(canonical)
        if referenced is None or referenced.get("IsDeleted"):
            raise SalesforceError(
                "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fields=[f.name]
            )
        if f.name == "OwnerId" and target.name == "User" and not referenced.get("IsActive"):
            raise SalesforceError(
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{canonical[:15]}] as owner of "
                f"{obj.label.lower()}",
                fields=[f.name],
            )
        return canonical

    def _run_rules(self, obj: ObjectDef, record: Mapping[str, Any]) -> None:
        """Raise the first validation rule of the object that the record breaks."""
        for rule in self.rules.get(obj.name, ()):
            if rule.predicate(record):
                raise rule.error()

    def _check_unique(
        self, obj: ObjectDef, plan: WritePlan, values: Mapping[str, Any], record_id: str | None
    ) -> None:
        """Raise DUPLICATE_VALUE when a unique value already belongs to another live record."""
        for f in plan.unique:
            value = values.get(f.name)
            if value is None:
                continue
            holders = self.indexes.get((obj.name, f.name), {}).get(index_key(f, value), ())
            others = [rid for rid in holders if rid != record_id]
            if others:
                raise SalesforceError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {f.name} duplicates value on record with id: "
                    f"{others[0][:15]}",
                    fields=[f.name],
                )

    def _apply(
        self,
        obj: ObjectDef,
        plan: WritePlan,
        record: dict[str, Any],
        changes: dict[str, Any],
        actor: str,
    ) -> None:
        """Write validated changes into the stored record and keep indexes and stamps current."""
        for f in plan.indexed:
            if f.name in changes and not record.get("IsDeleted"):
                self._move_index(obj, f, record["Id"], record.get(f.name), changes[f.name])
        for name, value in changes.items():
            if value is None:
                record.pop(name, None)
            else:
                record[name] = value
        record["LastModifiedDate"] = stamp = self.org.stamp()
        self._restamp(obj, record, stamp)
        record["LastModifiedById"] = actor

    def _restamp(self, obj: ObjectDef, record: dict[str, Any], stamp: str) -> None:
        """Set a stored record's SystemModstamp, keeping the modstamp index in step."""
        self.modstamps.move(obj.name, record["Id"], record["SystemModstamp"], stamp)
        record["SystemModstamp"] = stamp

    def _move_index(self, obj: ObjectDef, f: FieldDef, record_id: str, old: Any, new: Any) -> None:
        """Re-key one record in one field index."""
        index = self.indexes.setdefault((obj.name, f.name), {})
        if old is not None:
            holders = index.get(index_key(f, old))
            if holders is not None and record_id in holders:
                holders.remove(record_id)
                if not holders:
                    del index[index_key(f, old)]
        if new is not None:
            index.setdefault(index_key(f, new), []).append(record_id)

    def _insert(self, obj: ObjectDef, record: dict[str, Any]) -> None:
        """Store a new record and index it."""
        self.records[record["Id"]] = record
        self.tables[obj.name][record["Id"]] = record
        self.modstamps.move(obj.name, record["Id"], None, record["SystemModstamp"])
        self._index(obj, record)

    def _index(self, obj: ObjectDef, record: Mapping[str, Any]) -> None:
        """Add a live record's unique and external-id values to the indexes."""
        for f in self.plan(obj).indexed:
            value = record.get(f.name)
            if value is not None:
                self._move_index(obj, f, record["Id"], None, value)

    def _unindex(self, obj: ObjectDef, record: Mapping[str, Any]) -> None:
        """Drop a record's values from the indexes (it went to the recycle bin)."""
        for f in self.plan(obj).indexed:
            value = record.get(f.name)
            if value is not None:
                self._move_index(obj, f, record["Id"], value, None)

    def restore(self, record_id: str, image: Mapping[str, Any] | None) -> None:
        """Put a record back exactly as ``image`` (None removes it), to roll back a transaction."""
        obj = self.org.object_for_id(record_id)
        if obj is None:
            return
        current = self.records.get(record_id)
        if current is not None:
            if current.get("IsDeleted"):
                self.deleted_at.pop(record_id, None)
                self._deleted_counts[obj.name] = self._deleted_counts.get(obj.name, 1) - 1
            else:
                self._unindex(obj, current)
        old_stamp = None if current is None else current["SystemModstamp"]
        new_stamp = None if image is None else image["SystemModstamp"]
        self.modstamps.move(obj.name, record_id, old_stamp, new_stamp)
        if image is None:
            self.records.pop(record_id, None)
            self.tables[obj.name].pop(record_id, None)
            return
        if current is None:
            current = self.records[record_id] = self.tables[obj.name][record_id] = {}
        current.clear()
        current.update(image)
        if current.get("IsDeleted"):
            self.deleted_at[record_id] = current["SystemModstamp"]
            self._deleted_counts[obj.name] = self._deleted_counts.get(obj.name, 0) + 1
        else:
            self._index(obj, current)
