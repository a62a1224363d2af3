"""The emulated org: records, ids, validation, recycle bin, lead conversion.

CONTRACT (shared by sfemu.rest, sfemu.bulk2, sfemu.oauth, sfemu.soql): the method signatures
below are fixed; bodies are filled in by the org implementation.

Records are stored as plain dicts keyed by canonical field names, holding *wire-format*
values: strings for text, ids, picklists, dates (``YYYY-MM-DD``), times (``HH:MM:SS.sssZ``)
and datetimes (``YYYY-MM-DDTHH:MM:SS.000+0000``, always UTC, so they sort as strings);
``bool`` for checkboxes; ``int``/``float`` for numbers. A missing key means null.
Every stored record holds ``Id`` (18 chars) and ``IsDeleted``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sfemu.schema import FieldDef, ObjectDef


class Org:
    """One Salesforce org held in memory."""

    org_id: str
    name: str
    admin_user_id: str
    daily_api_limit: int

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        name: str = "sfemu Org",
        daily_api_limit: int = 100_000,
    ) -> None:
        """Create an org with the standard objects, its admin user and default connected app."""
        raise NotImplementedError

    def now(self) -> datetime:
        """Return the org's current time (aware UTC)."""
        raise NotImplementedError

    # --- schema -------------------------------------------------------------------------
    def sobjects(self) -> list[ObjectDef]:
        """Return every object type, in describe-global order."""
        raise NotImplementedError

    def find_sobject(self, name: str) -> ObjectDef | None:
        """Return the object named ``name`` in any letter case, or None."""
        raise NotImplementedError

    def sobject(self, name: str) -> ObjectDef:
        """Return the object named ``name`` or raise NOT_FOUND (404) as REST does."""
        raise NotImplementedError

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        """Return the object type an id belongs to (by key prefix), or None."""
        raise NotImplementedError

    def add_custom_field(self, sobject: str, name: str, type_: str, **attrs: Any) -> FieldDef:
        """Define a custom field (``__c`` appended when missing) and return it."""
        raise NotImplementedError

    # --- records ------------------------------------------------------------------------
    def normalize_id(self, record_id: str, sobject: str | None = None) -> str:
        """Return the 18-char form of a 15/18-char id, or raise MALFORMED_ID / NOT_FOUND."""
        raise NotImplementedError

    def create(self, sobject: str, values: Mapping[str, Any], *, user_id: str | None = None) -> str:
        """Validate and insert a record; return its 18-char id."""
        raise NotImplementedError

    def update(
        self,
        sobject: str | None,
        record_id: str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
    ) -> None:
        """Validate and apply changed values to one record."""
        raise NotImplementedError

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
        raise NotImplementedError

    def delete(
        self, record_id: str, *, sobject: str | None = None, user_id: str | None = None
    ) -> None:
        """Move a record to the recycle bin."""
        raise NotImplementedError

    def undelete(self, record_id: str, *, user_id: str | None = None) -> None:
        """Restore a record from the recycle bin."""
        raise NotImplementedError

    def get(self, record_id: str, *, include_deleted: bool = False) -> dict[str, Any]:
        """Return the stored record (wire values) or raise NOT_FOUND / ENTITY_IS_DELETED."""
        raise NotImplementedError

    def lookup(self, record_id: str) -> Mapping[str, Any] | None:
        """Return a stored record by 18-char id, deleted or not, or None (no validation)."""
        raise NotImplementedError

    def render(
        self, record: Mapping[str, Any], api_version: str, fields: list[str] | None = None
    ) -> dict[str, Any]:
        """Return a record as REST GET renders it: attributes, every field (nulls included)."""
        raise NotImplementedError

    def iter_records(
        self, sobject: str, *, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Yield stored records of one object type."""
        raise NotImplementedError

    def find_by_field(self, sobject: str, field: str, value: Any) -> list[str]:
        """Return ids of live records whose ``field`` equals ``value`` (external-id lookups)."""
        raise NotImplementedError

    def get_updated(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return the getUpdated body: ids and latestDateCovered."""
        raise NotImplementedError

    def get_deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return the getDeleted body: deletedRecords, earliestDateAvailable, latestDateCovered."""
        raise NotImplementedError

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
        raise NotImplementedError

    # --- users and connected apps (used by OAuth) -----------------------------------------
    def find_user_by_username(self, username: str) -> Mapping[str, Any] | None:
        """Return the User record with this username (case-insensitive), or None."""
        raise NotImplementedError

    def check_password(self, user_id: str, password: str) -> bool:
        """Tell whether ``password`` is this user's password."""
        raise NotImplementedError

    def set_password(self, user_id: str, password: str) -> None:
        """Set a user's password (the admin API and seeding use it)."""
        raise NotImplementedError
