"""Upsert by external id (or by Id) on the org: find the one match, then update or create."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfemu.errors import MultipleMatchesError, SalesforceError

if TYPE_CHECKING:
    from sfemu.org import Org


def upsert_record(
    org: Org,
    sobject: str,
    external_field: str,
    external_value: str,
    values: Mapping[str, Any],
    user_id: str | None,
) -> tuple[str, bool]:
    """Insert or update by external id (or by Id); raise 300 MULTIPLE_CHOICES on several matches."""
    obj = org.sobject(sobject)
    f = obj.field(external_field)
    if f is None or not (f.external_id or f.name == "Id"):
        raise SalesforceError(
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {external_field}",
            status=404,
        )
    body = dict(values)
    for key in list(body):
        if key.lower() == f.key:
            sent = body.pop(key)
            if sent is not None and str(sent).lower() != str(external_value).lower():
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"The value of the external ID field in the request body ({sent}) "
                    f"doesn't match the value in the URL ({external_value})",
                    fields=[f.name],
                )
    if f.name == "Id":
        if not external_value:
            return org.create(obj.name, body, user_id=user_id), True
        record_id = org.normalize_id(external_value, obj.name)
        org.update(obj.name, record_id, body, user_id=user_id)
        return record_id, False
    matches = org.find_by_field(obj.name, f.name, external_value)
    if len(matches) > 1:
        raise MultipleMatchesError(f.name, external_value, matches)
    if matches:
        org.update(obj.name, matches[0], body, user_id=user_id)
        return matches[0], False
    body[f.name] = external_value
    return org.create(obj.name, body, user_id=user_id), True
