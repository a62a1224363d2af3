"""Validation rules: per-object checks that fail a write with FIELD_CUSTOM_VALIDATION_EXCEPTION.

A rule is a predicate over the record as it would be after the write (canonical field names,
wire values, missing key = null); ``True`` means the record is invalid. The declarative form
(:func:`rule_from_spec`) is what the HTTP admin API accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfemu.errors import SalesforceError
from sfemu.schema import ObjectDef

Predicate = Callable[[Mapping[str, Any]], bool]

OPERATORS = ("blank", "not_blank", "equals", "not_equals", "matches", "longer_than")


@dataclass(frozen=True)
class ValidationRule:
    """One named rule: when ``predicate`` is true the write fails with ``message``."""

    name: str
    message: str
    predicate: Predicate
    field: str | None = None

    def error(self) -> SalesforceError:
        """Return the error Salesforce reports when this rule fires."""
        return SalesforceError(
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            self.message,
            fields=[self.field] if self.field else [],
        )


def _blank(value: Any) -> bool:
    """Tell whether a wire value counts as blank (ISBLANK)."""
    return value is None or value == ""


def _text(value: Any) -> str:
    """Return a wire value as comparable text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _spec_error(message: str) -> SalesforceError:
    """Return the error for a malformed rule spec."""
    return SalesforceError("INVALID_INPUT", message)


def _predicate(field: str, operator: str, value: Any) -> Predicate:
    """Return the predicate for one declarative operator on one field."""
    if operator == "blank":
        return lambda r: _blank(r.get(field))
    if operator == "not_blank":
        return lambda r: not _blank(r.get(field))
    if operator in ("equals", "not_equals"):
        wanted = _text(value)
        if operator == "equals":
            return lambda r: _text(r.get(field)) == wanted
        return lambda r: _text(r.get(field)) != wanted
    if operator == "matches":
        try:
            pattern = re.compile(str(value))
        except re.error as exc:
            raise _spec_error(f"invalid regular expression: {exc}") from None
        return lambda r: bool(pattern.search(_text(r.get(field))))
    if isinstance(value, bool) or not isinstance(value, int):
        raise _spec_error("longer_than needs an integer value")
    limit = value
    return lambda r: len(_text(r.get(field))) > limit


def rule_from_spec(obj: ObjectDef, spec: Mapping[str, Any]) -> ValidationRule:
    """Build a rule from ``{"name", "field", "operator", "value", "message"}``.

    Operators: ``blank``, ``not_blank``, ``equals``, ``not_equals``, ``matches`` (regular
    expression search) and ``longer_than``; each names the condition that makes a record invalid.
    """
    name = spec.get("name")
    message = spec.get("message")
    field_name = spec.get("field")
    operator = spec.get("operator")
    if not isinstance(name, str) or not name:
        raise _spec_error("validation rule needs a name")
    if not isinstance(message, str) or not message:
        raise _spec_error("validation rule needs a message")
    if not isinstance(field_name, str):
        raise _spec_error("validation rule needs a field")
    f = obj.field(field_name)
    if f is None:
        raise SalesforceError(
            "INVALID_FIELD",
            f"No such column '{field_name}' on sobject of type {obj.name}",
            fields=[field_name],
        )
    if operator not in OPERATORS:
        raise _spec_error(f"operator must be one of {', '.join(OPERATORS)}")
    predicate = _predicate(f.name, str(operator), spec.get("value"))
    return ValidationRule(name=name, message=message, predicate=predicate, field=f.name)
