"""The emulated org: records, ids, validation, recycle bin, lead conversion.

CONTRACT (shared by sfemu.rest, sfemu.bulk2, sfemu.oauth, sfemu.soql): the method signatures
below are fixed; bodies are filled in by the org implementation.

Records are stored as plain dicts keyed by canonical field names, holding *wire-format*
values: strings for text, ids, picklists, dates (``YYYY-MM-DD``), times (``HH:MM:SS.sssZ``)
and datetimes (``YYYY-MM-DDTHH:MM:SS.000+0000``, always UTC, so they sort as strings);
``bool`` for checkboxes; ``int``/``float`` for numbers. A missing key means null.
Every stored record holds ``Id`` (18 chars) and ``IsDeleted``.

Write validation lives in :mod:`sfemu.org_writes`, replication in :mod:`sfemu.replication`,
conversion in :mod:`sfemu.lead_convert` and the default contents in :mod:`sfemu.org_defaults`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sfemu import lead_convert, org_defaults, replication
from sfemu.errors import SalesforceError, entity_is_deleted, not_found
from sfemu.ids import IdGenerator, malformed_id, parse_id
from sfemu.listviews import ListViewDef
from sfemu.object_fields import custom_field
from sfemu.objects import standard_objects
from sfemu.org_render import render_record
from sfemu.org_upsert import upsert_record
from sfemu.org_writes import RecordStore
from sfemu.schema import FieldDef, ObjectDef
from sfemu.validation_rules import Predicate, ValidationRule, rule_from_spec
from sfemu.values import format_datetime


def _system_clock() -> datetime:
    """Return the real time (aware UTC)."""
    return datetime.now(UTC)


class Org:
    """One Salesforce org held in memory."""

    org_id: str
    name: str
    admin_user_id: str
    daily_api_limit: int
    admin_profile_id: str
    standard_profile_id: str
    queue_id: str

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        name: str = "sfemu Org",
        daily_api_limit: int = 100_000,
    ) -> None:
        """Create an org with the standard objects, its admin user and default connected app."""
        self._clock = clock or _system_clock
        self._clock_offset = timedelta(0)
        self._stamp_second: datetime | None = None
        self._stamp_text = ""
        self.name = name
        self.daily_api_limit = daily_api_limit
        self.ids = IdGenerator()
        self._objects: dict[str, ObjectDef] = {}
        self._by_prefix: dict[str, ObjectDef] = {}
        for obj in standard_objects():
            self._objects[obj.name.lower()] = obj
            self._by_prefix[obj.key_prefix] = obj
        self._lock = threading.RLock()
        self._store = RecordStore(self)
        self._passwords: dict[str, bytes] = {}
        self.created_at = self.now()
        self._schema_changed_at: dict[str, datetime] = {}
        self.list_views: dict[str, ListViewDef] = {}  # ListView record id -> definition
        org_defaults.install(self)

    # --- time -------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Return the org's current time (aware UTC)."""
        return self._clock() + self._clock_offset

    @property
    def clock(self) -> Callable[[], datetime]:
        """Return this org's clock with its current offset, holding no reference to the org.

        A reset org built with it keeps the same time while the old org can be freed.
        """
        base, offset = self._clock, self._clock_offset

        def shifted() -> datetime:
            """Return the base clock's time plus the offset."""
            return base() + offset

        return shifted if offset else base

    def advance_clock(self, seconds: float) -> datetime:
        """Move the org's time forward (the admin API's clock control) and return it."""
        self._clock_offset += timedelta(seconds=seconds)
        return self.now()

    def stamp(self) -> str:
        """Return the current time as a wire datetime (whole seconds, one shared string each)."""
        now = self.now()
        second = now.replace(microsecond=0)
        if second != self._stamp_second:
            self._stamp_second = second
            self._stamp_text = format_datetime(now)
        return self._stamp_text

    # --- schema -------------------------------------------------------------------------
    def sobjects(self) -> list[ObjectDef]:
        """Return every object type, in describe-global order."""
        return sorted(self._objects.values(), key=lambda o: o.name.lower())

    def find_sobject(self, name: str) -> ObjectDef | None:
        """Return the object named ``name`` in any letter case, or None."""
        return self._objects.get(name.lower())

    def sobject(self, name: str) -> ObjectDef:
        """Return the object named ``name`` or raise NOT_FOUND (404) as REST does."""
        obj = self._objects.get(name.lower())
        if obj is None:
            raise not_found()
        return obj

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        """Return the object type an id belongs to (by key prefix), or None."""
        return self._by_prefix.get(record_id[:3])

    def add_custom_field(self, sobject: str, name: str, type_: str, **attrs: Any) -> FieldDef:
        """Define a custom field (``__c`` appended when missing) and return it."""
        obj = self.sobject(sobject)
        f = custom_field(name, type_, attrs)
        if obj.field(f.name) is not None:
            raise SalesforceError(
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a field named {f.name} on {obj.name}.",
                fields=[f.name],
            )
        with self._lock:
            obj.add(f)
            self._store.schema_changed(obj, f)
            self._schema_changed_at[obj.name] = self.now()
        return f

    def add_validation_rule(
        self,
        sobject: str,
        name: str,
        message: str,
        predicate: Predicate,
        field: str | None = None,
    ) -> ValidationRule:
        """Add a rule; ``predicate(record_after_change)`` returning True fails the write."""
        obj = self.sobject(sobject)
        canonical = None
        if field is not None:
            f = obj.field(field)
            if f is None:
                raise SalesforceError(
                    "INVALID_FIELD", f"No such column '{field}' on sobject of type {obj.name}"
                )
            canonical = f.name
        rule = ValidationRule(name=name, message=message, predicate=predicate, field=canonical)
        self._store.rules.setdefault(obj.name, []).append(rule)
        return rule

    def add_validation_rule_spec(self, sobject: str, spec: Mapping[str, Any]) -> ValidationRule:
        """Add a declarative rule (see :func:`sfemu.validation_rules.rule_from_spec`)."""
        obj = self.sobject(sobject)
        rule = rule_from_spec(obj, spec)
        self._store.rules.setdefault(obj.name, []).append(rule)
        return rule

    def schema_changed(self, obj: ObjectDef) -> None:
        """Tell the write path that an object's definition changed (e.g. picklist values)."""
        self._store.schema_changed(obj)
        self._schema_changed_at[obj.name] = self.now()

    def schema_modified_at(self, sobject: str | None = None) -> datetime:
        """Return when one object's describe (or, with None, any object's) last changed."""
        if sobject is None:
            return max(self._schema_changed_at.values(), default=self.created_at)
        return self._schema_changed_at.get(self.sobject(sobject).name, self.created_at)

    def validation_rules(self, sobject: str) -> list[ValidationRule]:
        """Return the rules defined on an object, in the order they run."""
        return list(self._store.rules.get(self.sobject(sobject).name, []))

    def remove_validation_rule(self, sobject: str, name: str) -> bool:
        """Remove a rule by name; tell whether one was removed."""
        rules = self._store.rules.get(self.sobject(sobject).name, [])
        before = len(rules)
        rules[:] = [r for r in rules if r.name != name]
        return len(rules) != before

    # --- records ------------------------------------------------------------------------
    def normalize_id(self, record_id: str, sobject: str | None = None) -> str:
        """Return the 18-char form of a 15/18-char id, or raise MALFORMED_ID / NOT_FOUND."""
        obj = self.sobject(sobject) if sobject is not None else None
        canonical = parse_id(record_id) if isinstance(record_id, str) else None
        if obj is not None and (canonical is None or canonical[:3] != obj.key_prefix):
            raise malformed_id(obj.label, record_id)
        if canonical is None:
            raise malformed_id("Record", record_id)
        if obj is None and self.object_for_id(canonical) is None:
            raise not_found()
        return canonical

    def create(self, sobject: str, values: Mapping[str, Any], *, user_id: str | None = None) -> str:
        """Validate and insert a record; return its 18-char id."""
        with self._lock:
            return self._store.create(self.sobject(sobject), values, self._actor(user_id))

    def update(
        self,
        sobject: str | None,
        record_id: str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
    ) -> None:
        """Validate and apply changed values to one record."""
        with self._lock:
            record = self._live(record_id, sobject)
            obj = self._by_prefix[record["Id"][:3]]
            self._store.update(obj, record, values, self._actor(user_id))

    def upsert(
        self,
        sobject: str,
        external_field: str,
        external_value: str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
    ) -> tuple[str, bool]:
        """Insert or update by external id; return (id, created). 300 on several matches."""
        with self._lock:
            return upsert_record(self, sobject, external_field, external_value, values, user_id)

    def delete(
        self, record_id: str, *, sobject: str | None = None, user_id: str | None = None
    ) -> None:
        """Move a record to the recycle bin."""
        with self._lock:
            record = self._live(record_id, sobject)
            self._actor(user_id)
            self._store.delete(self._by_prefix[record["Id"][:3]], record)

    def undelete(self, record_id: str, *, user_id: str | None = None) -> None:
        """Restore a record from the recycle bin."""
        with self._lock:
            record = self.get(record_id, include_deleted=True)
            stored = self._store.records[record["Id"]]
            if not stored.get("IsDeleted"):
                raise SalesforceError(
                    "UNDELETE_FAILED", "Entity is not in the recycle bin", fields=["Id"]
                )
            obj = self._by_prefix[stored["Id"][:3]]
            self._store.undelete(obj, stored, self._actor(user_id))

    def get(self, record_id: str, *, include_deleted: bool = False) -> dict[str, Any]:
        """Return the stored record (wire values) or raise NOT_FOUND / ENTITY_IS_DELETED."""
        canonical = self.normalize_id(record_id)
        record = self._store.records.get(canonical)
        if record is None:
            raise not_found()
        if record.get("IsDeleted") and not include_deleted:
            raise entity_is_deleted()
        return dict(record)

    def lookup(self, record_id: str) -> Mapping[str, Any] | None:
        """Return a stored record by 18-char id, deleted or not, or None (no validation)."""
        return self._store.records.get(record_id)

    def render(
        self, record: Mapping[str, Any], api_version: str, fields: list[str] | None = None
    ) -> dict[str, Any]:
        """Return a record as REST GET renders it: attributes, every field (nulls included)."""
        obj = self._by_prefix[record["Id"][:3]]
        return render_record(obj, record, api_version, fields)

    def restore_record(self, record_id: str, image: Mapping[str, Any] | None) -> None:
        """Put a record back as ``image`` (None removes it): how allOrNone rolls back."""
        with self._lock:
            self._store.restore(record_id, image)

    def iter_records(
        self, sobject: str, *, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Yield stored records of one object type (a snapshot: writes while iterating are safe)."""
        table = self._store.tables[self.sobject(sobject).name]
        for record in list(table.values()):
            if include_deleted or not record.get("IsDeleted"):
                yield record

    def modstamp_window(
        self,
        sobject: str,
        window: tuple[str | None, str | None],
        accept: Callable[[Mapping[str, Any]], bool],
        *,
        wanted: int | None = None,
        descending: bool = False,
    ) -> list[dict[str, Any]]:
        """Return records with SystemModstamp in ``[low, high]`` in (SystemModstamp, Id) order.

        Only records that ``accept`` takes are returned, at most ``wanted`` of them; deleted
        records are candidates too (``accept`` decides), so queryAll can use it.
        """
        with self._lock:
            name = self.sobject(sobject).name
            return self._store.modstamps.collect(
                name, self._store.records, window, accept, wanted=wanted, descending=descending
            )

    def count(self, sobject: str, *, include_deleted: bool = False) -> int:
        """Return how many records of one type exist (live only unless asked)."""
        table = self._store.tables[self.sobject(sobject).name]
        if include_deleted:
            return len(table)
        return len(table) - self._store.deleted_count(self.sobject(sobject).name)

    def find_by_field(self, sobject: str, field: str, value: Any) -> list[str]:
        """Return ids of live records whose ``field`` equals ``value`` (external-id lookups)."""
        return self._store.find_by_field(self.sobject(sobject), field, value)

    def get_updated(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return the getUpdated body: ids and latestDateCovered."""
        return replication.get_updated(self, self.sobject(sobject), start, end)

    def get_deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return the getDeleted body: deletedRecords, earliestDateAvailable, latestDateCovered."""
        return replication.get_deleted(self, self.sobject(sobject), start, end)

    def deleted_stamps(self) -> Mapping[str, str]:
        """Return recycle-bin entries: record id -> wire deletion time."""
        return self._store.deleted_at

    def convert_lead(
        self,
        lead_id: str,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        converted_status: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """Convert a lead; return {leadId, accountId, contactId, success}."""
        with self._lock:
            return lead_convert.convert_lead(
                self,
                lead_id,
                account_id=account_id,
                contact_id=contact_id,
                converted_status=converted_status,
                user_id=self._actor(user_id),
            )

    def insert_system_record(
        self, sobject: str, values: Mapping[str, Any], *, record_id: str | None = None
    ) -> str:
        """Insert a record as the platform does (no validation): setup data and seeding."""
        with self._lock:
            return self._store.insert_raw(self.sobject(sobject), dict(values), record_id=record_id)

    def set_system_fields(
        self, record_id: str, values: Mapping[str, Any], *, user_id: str | None = None
    ) -> None:
        """Set fields the API cannot write (conversion flags, statuses) and bump the stamps."""
        with self._lock:
            record = self._store.records[record_id]
            self._store.set_raw(record, values, user_id or self.admin_user_id)

    def purge(self, record_id: str) -> None:
        """Remove a record for good, recycle bin included (undoing a half-done operation)."""
        with self._lock:
            record = self._store.records.get(record_id)
            if record is not None:
                self._store.purge(self._by_prefix[record_id[:3]], record)

    def add_lead_status(
        self, label: str, *, sort_order: int, is_default: bool = False, is_converted: bool = False
    ) -> str:
        """Add a Lead Status value (a LeadStatus record) and return its id."""
        return org_defaults.add_lead_status(
            self, label, sort_order=sort_order, is_default=is_default, is_converted=is_converted
        )

    # --- users and connected apps (used by OAuth) -----------------------------------------
    def find_user_by_username(self, username: str) -> Mapping[str, Any] | None:
        """Return the User record with this username (case-insensitive), or None."""
        ids = self.find_by_field("User", "Username", username)
        return self._store.records[ids[0]] if ids else None

    def check_password(self, user_id: str, password: str) -> bool:
        """Tell whether ``password`` is this user's password."""
        stored = self._passwords.get(user_id)
        if stored is None:
            return False
        salt, digest = stored[:16], stored[16:]
        return hmac.compare_digest(digest, _hash_password(salt, password))

    def set_password(self, user_id: str, password: str) -> None:
        """Set a user's password (the admin API and seeding use it)."""
        record = self._store.records.get(user_id)
        if record is None or record["Id"][:3] != "005":
            raise not_found()
        salt = secrets.token_bytes(16)
        self._passwords[user_id] = salt + _hash_password(salt, password)

    # --- internals ----------------------------------------------------------------------
    def _actor(self, user_id: str | None) -> str:
        """Return the 18-char id of the user a write is made as (default: the admin)."""
        if user_id is None:
            return self.admin_user_id
        canonical = parse_id(user_id)
        if canonical is None or canonical not in self._store.records or canonical[:3] != "005":
            raise SalesforceError(
                "INVALID_CROSS_REFERENCE_KEY", f"invalid user id: {user_id}", fields=[]
            )
        return canonical

    def _live(self, record_id: str, sobject: str | None) -> dict[str, Any]:
        """Return the stored (mutable) record for a write, or raise the REST error."""
        canonical = self.normalize_id(record_id, sobject)
        record = self._store.records.get(canonical)
        if record is None:
            raise not_found()
        if record.get("IsDeleted"):
            raise entity_is_deleted()
        return record


def _hash_password(salt: bytes, password: str) -> bytes:
    """Return a salted digest of a password (an emulator: fast, not for real secrets)."""
    return hashlib.sha256(salt + password.encode()).digest()
