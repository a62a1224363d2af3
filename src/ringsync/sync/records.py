"""Read Salesforce records as the planner sees them: mapped to properties, typed, owners mapped.

The read schema of one object is the mapping's inbound rows whose field exists in the org's
describe (tracking fields only flow to Salesforce and ringsync's own id and link fields are
ours, so neither is read), plus the system fields the engine needs. Owners come through the
user mapping; a queue or an unmapped user leaves the contact's owner as it is, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ringsync.mapping.catalog import TRACKING_PROPERTIES, FieldMapping, SyncObject
from ringsync.mapping.convert import Converted
from ringsync.mapping.converters import RowConverter, inbound_converter, outbound_converter
from ringsync.salesforce.describe import SObjectDescribe, allow_list
from ringsync.salesforce.models import parse_sf_datetime
from ringsync.salesforce.soql import AllOf, Cond, Condition, select
from ringsync.sync.fingerprint import ValueNormalizer, canonical_values, digest
from ringsync.sync.plan import InboundRecord
from ringsync.sync.states import CONTACT_ID, CONTACT_LINK

OWNER = "owner"
QUEUE_PREFIX = "00G"
SYSTEM_FIELDS = ("Id", "SystemModstamp", "LastModifiedDate")
LEAD_FIELDS = ("IsConverted", "ConvertedContactId")
NOT_READ = frozenset({CONTACT_ID, CONTACT_LINK}) | TRACKING_PROPERTIES
OTHER_PHONES = ("mobile_phone",)


@dataclass(frozen=True)
class ReadSchema:
    """What to read of one object and how to turn its fields into property values."""

    sobject: SyncObject
    describe: SObjectDescribe
    rows: tuple[FieldMapping, ...]
    convert: RowConverter
    outbound: RowConverter | None = None

    def written_as(
        self, prop: str, ours: object, theirs: object, normalizer: ValueNormalizer
    ) -> bool:
        """Tell whether ``theirs`` is what writing ``ours`` produced (truncated, rounded...).

        Such a value is our own write coming back in the form Salesforce could hold; taking it
        would cut our value, so the merge must see it as unchanged.
        """
        row = next((r for r in self.rows if r.ringsync_property == prop), None)
        if row is None or self.outbound is None or prop == OWNER:
            return False
        written = self.outbound(row, ours)
        if not isinstance(written, Converted) or not written.note:
            return False
        back = self.convert(row, written.value)
        return isinstance(back, Converted) and normalizer.equal(prop, back.value, theirs)

    @property
    def fields(self) -> tuple[str, ...]:
        """Return the fields to SELECT, system fields first, each once."""
        names: list[str] = list(SYSTEM_FIELDS)
        if self.sobject is SyncObject.LEAD:
            names += [n for n in LEAD_FIELDS if self.describe.field(n) is not None]
        for row in self.rows:
            if row.salesforce_field not in names:
                names.append(row.salesforce_field)
        return tuple(names)

    def soql(self, where: Condition | None = None, *, ordered: bool = True) -> str:
        """Return the SELECT of this schema's fields, ordered by SystemModstamp then Id.

        Bulk API 2.0 queries pass ``ordered=False``: ORDER BY turns off PK chunking there.
        """
        return select(
            self.fields,
            self.sobject.value,
            allowed=allow_list(self.describe),
            where=where,
            order_by=("SystemModstamp", "Id") if ordered else (),
        )

    def changed_between(
        self, since: datetime | None, until: datetime, *, ordered: bool = True
    ) -> str:
        """Return the SOQL of records whose SystemModstamp is in [since, until]."""
        upper = Cond("SystemModstamp", "<=", until)
        if since is None:
            return self.soql(upper, ordered=ordered)
        return self.soql(AllOf((Cond("SystemModstamp", ">=", since), upper)), ordered=ordered)

    def count_changed(self, since: datetime | None, until: datetime) -> str:
        """Return the COUNT() of records whose SystemModstamp is in [since, until]."""
        upper = Cond("SystemModstamp", "<=", until)
        where: Condition = upper
        if since is not None:
            where = AllOf((Cond("SystemModstamp", ">=", since), upper))
        return select(
            ["COUNT()"], self.sobject.value, allowed=allow_list(self.describe), where=where
        )

    def by_phones(self, phones: tuple[str, ...]) -> str:
        """Return the SOQL of records whose Phone is one of ``phones`` (quoted)."""
        return self.soql(Cond("Phone", "IN", phones))


def read_schema(
    sobject: SyncObject, describe: SObjectDescribe, mapping: tuple[FieldMapping, ...]
) -> ReadSchema:
    """Build the read schema of one object from its mapping and the org's describe."""
    rows = tuple(
        row
        for row in mapping
        if row.direction != "to_salesforce"
        and row.ringsync_property not in NOT_READ
        and describe.field(row.salesforce_field) is not None
    )
    raw_fields = describe_fields(describe, [row.salesforce_field for row in rows])
    return ReadSchema(
        sobject,
        describe,
        rows,
        inbound_converter(raw_fields),
        outbound_converter(raw_fields),
    )


def describe_fields(
    describe: SObjectDescribe, names: Iterable[str] | None = None
) -> list[dict[str, object]]:
    """Return describe field dicts (all fields, or ``names``) in the form the converters read."""
    chosen = (
        list(describe.fields.values())
        if names is None
        else [f for f in (describe.field(n) for n in names) if f is not None]
    )
    return [
        {
            "name": f.name,
            "type": f.type,
            "length": f.length,
            "nillable": f.nillable,
            "restrictedPicklist": f.restricted_picklist,
            "picklistValues": [{"value": p.value, "active": p.active} for p in f.picklist_values],
        }
        for f in chosen
    ]


@dataclass(frozen=True)
class ReadRecord:
    """One record read: the planner's view, its SystemModstamp, notes, and its seen key."""

    record: InboundRecord
    modstamp: datetime
    seen_key: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    values_key: str = ""  # the fingerprint of ``record.values`` (what a link stores)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw == "")


def _owner(raw: object, owners: Mapping[str, int]) -> tuple[int | None, str]:
    """Map a Salesforce owner to our user id, or say why the owner is left as it is."""
    if not isinstance(raw, str) or not raw:
        return None, ""
    if raw.startswith(QUEUE_PREFIX):
        return None, f"owner: the record is owned by queue {raw}; the contact's owner is left as is"
    user = owners.get(raw) or owners.get(raw[:15])
    if user is None:
        return None, f"owner: Salesforce user {raw} has no user mapping; owner left as is"
    return user, ""


def to_record(
    raw: Mapping[str, object],
    schema: ReadSchema,
    owners: Mapping[str, int],
    normalizer: ValueNormalizer,
) -> ReadRecord:
    """Convert one raw record (REST JSON or Bulk CSV row) into the planner's record."""
    values: dict[str, object] = {}
    notes: list[str] = []
    for row in schema.rows:
        value = raw.get(row.salesforce_field)
        if row.ringsync_property == OWNER:
            user, note = _owner(value, owners)
            if note:
                notes.append(note)
            if user is not None:
                values[OWNER] = user
            continue
        outcome = schema.convert(row, None if _blank(value) else value)
        if isinstance(outcome, Converted):
            values[row.ringsync_property] = outcome.value
        else:
            notes.append(f"{row.ringsync_property}: not read ({outcome.reason})")
    converted = str(raw.get("IsConverted") or "").lower() == "true"
    converted_id = raw.get("ConvertedContactId")
    other = tuple((p, values[p]) for p in OTHER_PHONES if values.get(p))
    modified = raw.get("LastModifiedDate")
    record = InboundRecord(
        sobject=schema.sobject,
        id=str(raw["Id"]),
        values=values,
        modified_at=parse_sf_datetime(modified) if isinstance(modified, str) and modified else None,
        is_converted=converted,
        converted_contact_id=str(converted_id) if converted_id else None,
        other_phones=other,
    )
    # Canonicalize once (phone parsing is the costly part) for both fingerprints: the record's
    # values (stored on its link) and the values with what else a re-read could change.
    ready = canonical_values(values, normalizer)
    extra = canonical_values(
        {
            "$converted": converted,
            "$converted_id": record.converted_contact_id,
            "$notes": "|".join(notes),
        },
        normalizer,
    )
    return ReadRecord(
        record,
        parse_sf_datetime(raw.get("SystemModstamp")),
        digest({**ready, **extra}),
        tuple(notes),
        digest(ready),
    )


__all__ = ["ReadRecord", "ReadSchema", "describe_fields", "read_schema", "to_record"]
