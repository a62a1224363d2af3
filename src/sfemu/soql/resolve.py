"""Resolve names in a parsed query against the schema and check each literal against its field.

Field, relationship and object names are case-insensitive; the resolved forms carry canonical
names. Literals become typed operands in the same wire representation the org stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sfemu.errors import SalesforceError
from sfemu.schema import FieldDef, ObjectDef
from sfemu.soql import ast
from sfemu.soql.dates import parse_date_literal, parse_datetime_literal, parse_time_literal
from sfemu.soql.messages import (
    bad_operator,
    bad_relationship,
    malformed,
    no_such_column,
    query_error,
    wrong_value_type,
)
from sfemu.soql.parser import decode_string, like_regex

Category = Literal["text", "multi", "id", "bool", "number", "date", "datetime", "time", "other"]

_CATEGORY: dict[str, Category] = {
    "string": "text",
    "textarea": "text",
    "phone": "text",
    "email": "text",
    "url": "text",
    "picklist": "text",
    "combobox": "text",
    "multipicklist": "multi",
    "id": "id",
    "reference": "id",
    "boolean": "bool",
    "int": "number",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
}
# How Salesforce names each kind of value in "must be of type X" messages.
_TYPE_WORD: dict[Category, str] = {
    "text": "string",
    "multi": "string",
    "id": "id",
    "bool": "boolean",
    "number": "double",
    "date": "date",
    "datetime": "dateTime",
    "time": "time",
    "other": "string",
}
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class Catalog(Protocol):
    """Where the compiler looks up object types (the Org satisfies it)."""

    def find_sobject(self, name: str) -> ObjectDef | None:
        """Return the object named ``name`` in any letter case, or None."""


def category(field: FieldDef) -> Category:
    """Return how SOQL compares values of this field's type."""
    if field.type == "int":
        return "number"
    return _CATEGORY.get(field.type, "other")


@dataclass(frozen=True)
class Hop:
    """One parent-relationship step: the reference field per possible current object."""

    rel_name: str
    ref_fields: dict[str, str]
    targets: tuple[ObjectDef, ...]


@dataclass(frozen=True)
class ResolvedPath:
    """A field path bound to the schema; ``finals`` maps object name (lower) to field name."""

    canonical: str
    hops: tuple[Hop, ...]
    field: FieldDef
    finals: dict[str, str]
    pos: ast.Pos

    @property
    def category(self) -> Category:
        """Return the comparison category of the final field."""
        return category(self.field)


@dataclass(frozen=True)
class Operand:
    """A checked literal: a plain value, a relative date range, or a compiled LIKE pattern."""

    value: Any = None
    date_range: tuple[str, int | None] | None = None
    pattern: Any = None


class Resolver:
    """Resolve one query's names and literals; errors are worded against its text."""

    def __init__(self, text: str, sobject: ObjectDef, catalog: Catalog) -> None:
        """Remember the query text (for carets), the FROM object and the catalog."""
        self.text = text
        self.sobject = sobject
        self.catalog = catalog

    # --- names --------------------------------------------------------------------------
    def path(self, path: ast.FieldPath) -> ResolvedPath:
        """Resolve a field or parent path, or raise INVALID_FIELD worded as Salesforce does."""
        parts = path.parts
        prefixed = len(parts) > 1 and parts[0].lower() == self.sobject.name.lower()
        if prefixed and self.sobject.relationship(parts[0]) is None:
            parts = parts[1:]  # "Lead.Name" FROM Lead names the queried object itself
        current: tuple[ObjectDef, ...] = (self.sobject,)
        hops: list[Hop] = []
        names: list[str] = []
        polymorphic = False
        for rel in parts[:-1]:
            ref_fields: dict[str, str] = {}
            targets: dict[str, ObjectDef] = {}
            rel_name = ""
            for obj in current:
                ref = obj.relationship(rel)
                if ref is None:
                    continue
                ref_fields[obj.name.lower()] = ref.name
                rel_name = rel_name or (ref.relationship_name or rel)
                polymorphic = len(ref.reference_to) > 1
                for target_name in ref.reference_to:
                    target = self.catalog.find_sobject(target_name)
                    if target is not None:
                        targets.setdefault(target.name.lower(), target)
            if not ref_fields or not targets:
                raise bad_relationship(self.text, path.pos, rel)
            hops.append(Hop(rel_name, ref_fields, tuple(targets.values())))
            names.append(rel_name)
            current = tuple(targets.values())
        last = parts[-1]
        finals: dict[str, str] = {}
        found: FieldDef | None = None
        for obj in current:
            f = obj.field(last)
            if f is not None:
                finals[obj.name.lower()] = f.name
                found = found or f
        if found is None:
            # Salesforce names the shared fields of a polymorphic parent the 'Name' entity.
            entity = "Name" if polymorphic else current[0].name
            raise no_such_column(self.text, path.pos, last, entity)
        names.append(found.name)
        return ResolvedPath(".".join(names), tuple(hops), found, finals, path.pos)

    def filterable(self, path: ast.FieldPath) -> ResolvedPath:
        """Resolve a path used in WHERE and check that its field can be filtered."""
        resolved = self.path(path)
        if not resolved.field.filterable or category(resolved.field) == "other":
            detail = f"field '{resolved.canonical}' can not be filtered in a query call"
            raise query_error("INVALID_FIELD", self.text, path.pos, detail)
        return resolved

    def sortable(self, path: ast.FieldPath) -> ResolvedPath:
        """Resolve a path used in ORDER BY and check that its field can be sorted."""
        resolved = self.path(path)
        if not resolved.field.sortable or category(resolved.field) in ("other", "multi"):
            detail = f"field '{resolved.canonical}' can not be sorted in a query call"
            raise query_error("INVALID_FIELD", self.text, path.pos, detail)
        return resolved

    # --- literals -----------------------------------------------------------------------
    def operand(self, target: ResolvedPath, value: ast.Value) -> Operand:
        """Check a literal against the field's type and return it in wire form."""
        cat = target.category
        name = target.canonical
        if isinstance(value, ast.NullLit):
            return Operand(None)
        if isinstance(value, ast.StringLit):
            if cat not in ("text", "multi", "id"):
                raise wrong_value_type(self.text, value.pos, name, _TYPE_WORD[cat], quoted=False)
            decoded = self._decode(value)
            if decoded == "":
                return Operand(None)  # Salesforce stores empty text as null
            if cat == "id":
                return Operand(self._record_id(value, decoded))
            return Operand(decoded)
        if cat in ("text", "multi", "id"):
            raise wrong_value_type(self.text, value.pos, name, _TYPE_WORD[cat], quoted=True)
        if isinstance(value, ast.NumberLit) and cat == "number":
            number = float(value.text)
            return Operand(int(number) if number.is_integer() and "." not in value.text else number)
        if isinstance(value, ast.BoolLit) and cat == "bool":
            return Operand(value.value)
        if isinstance(value, ast.DateRangeLit) and cat in ("date", "datetime"):
            return Operand(date_range=(value.name, value.n))
        if isinstance(value, ast.DateLit) and cat == "date":
            return Operand(self._converted(parse_date_literal, value))
        if isinstance(value, ast.DateTimeLit) and cat == "datetime":
            return Operand(self._converted(parse_datetime_literal, value))
        if isinstance(value, ast.TimeLit) and cat == "time":
            return Operand(self._converted(parse_time_literal, value))
        raise wrong_value_type(self.text, value.pos, name, _TYPE_WORD[cat], quoted=False)

    def like_operand(self, target: ResolvedPath, value: ast.Value) -> Operand:
        """Check a LIKE pattern: a string, on a text or id field."""
        if target.category not in ("text", "id"):
            detail = f"invalid operator on field: {target.canonical}. LIKE applies to text fields"
            raise bad_operator(self.text, target.pos, detail)
        if not isinstance(value, ast.StringLit):
            raise wrong_value_type(self.text, value.pos, target.canonical, "string", quoted=True)
        try:
            return Operand(pattern=like_regex(value.raw))
        except ValueError as exc:
            raise self._bad_escape(value, str(exc)) from None

    def includes_operands(self, target: ResolvedPath, values: tuple[ast.Value, ...]) -> Operand:
        """Check INCLUDES/EXCLUDES values: strings, on a multi-select picklist."""
        if target.category != "multi":
            detail = (
                f"invalid operator on field: {target.canonical}. "
                "INCLUDES and EXCLUDES apply to multi-select picklist fields"
            )
            raise bad_operator(self.text, target.pos, detail)
        sets: list[frozenset[str]] = []
        for value in values:
            if not isinstance(value, ast.StringLit):
                raise wrong_value_type(
                    self.text, value.pos, target.canonical, "string", quoted=True
                )
            parts = self._decode(value).lower().split(";")
            sets.append(frozenset(p.strip() for p in parts if p.strip()))
        return Operand(tuple(sets))

    # --- helpers ------------------------------------------------------------------------
    def _decode(self, value: ast.StringLit) -> str:
        """Decode a string literal or raise MALFORMED_QUERY for a bad escape."""
        try:
            return decode_string(value.raw)
        except ValueError as exc:
            raise self._bad_escape(value, str(exc)) from None

    def _bad_escape(self, value: ast.StringLit, sequence: str) -> SalesforceError:
        """Return the error for an escape sequence SOQL does not define."""
        detail = (
            f"Invalid string literal '{value.raw}'. "
            f"Illegal character sequence '{sequence}' in string literal."
        )
        return malformed(self.text, value.pos, detail)

    def _record_id(self, value: ast.StringLit, decoded: str) -> str:
        """Return the 18-char form of an id literal, or raise for something that is no id."""
        if len(decoded) in (15, 18) and decoded.isascii() and decoded.isalnum():
            return decoded if len(decoded) == 18 else decoded + _id_suffix(decoded)
        detail = f"invalid ID field: {decoded}"
        raise query_error("INVALID_QUERY_FILTER_OPERATOR", self.text, value.pos, detail)

    def _converted(self, convert: Any, value: ast.DateLit | ast.DateTimeLit | ast.TimeLit) -> str:
        """Convert a date/time literal or raise MALFORMED_QUERY for an impossible value."""
        try:
            result: str = convert(value.text)
        except ValueError:
            raise malformed(self.text, value.pos, f"invalid date: {value.text}") from None
        return result


def _id_suffix(id15: str) -> str:
    """Return the three checksum characters that make a 15-char id case-insensitive."""
    out = []
    for chunk in range(3):
        bits = 0
        for k, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << k
        out.append(_ID_ALPHABET[bits])
    return "".join(out)
