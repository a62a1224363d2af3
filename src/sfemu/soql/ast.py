"""The syntax tree the parser builds: plain, frozen dataclasses with source positions.

Names are kept as written; :mod:`sfemu.soql.resolve` maps them onto the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral


@dataclass(frozen=True)
class Pos:
    """A 1-based row and column in the query text, as Salesforce reports them."""

    line: int
    column: int


@dataclass(frozen=True)
class FieldPath:
    """A field name, or a dotted path through parent relationships (``Owner.Profile.Name``)."""

    parts: tuple[str, ...]
    pos: Pos

    @property
    def text(self) -> str:
        """Return the path as written."""
        return ".".join(self.parts)


# --- literals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StringLit:
    """A quoted string; ``raw`` is the text between the quotes, escapes undecoded."""

    raw: str
    pos: Pos


@dataclass(frozen=True)
class NumberLit:
    """An unquoted number."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class BoolLit:
    """``true`` or ``false``."""

    value: bool
    pos: Pos


@dataclass(frozen=True)
class NullLit:
    """``null``."""

    pos: Pos


@dataclass(frozen=True)
class DateLit:
    """An unquoted ``YYYY-MM-DD`` date."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class DateTimeLit:
    """An unquoted dateTime with a zone (``Z``, ``+hh:mm`` or ``+hhmm``)."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class TimeLit:
    """An unquoted ``hh:mm:ss[.sss]Z`` time."""

    text: str
    pos: Pos


@dataclass(frozen=True)
class DateRangeLit:
    """A relative date literal such as ``TODAY`` or ``LAST_N_DAYS:30`` (``n`` for the N forms)."""

    name: str
    n: int | None
    pos: Pos


Value = StringLit | NumberLit | BoolLit | NullLit | DateLit | DateTimeLit | TimeLit | DateRangeLit

# --- conditions -------------------------------------------------------------------------

CompareOp = TypingLiteral["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Comparison:
    """``field <op> value`` for the six comparison operators (``<>`` is read as ``!=``)."""

    field: FieldPath
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class Like:
    """``field LIKE 'pattern'``."""

    field: FieldPath
    pattern: Value


@dataclass(frozen=True)
class InList:
    """``field [NOT] IN (v1, v2, ...)``."""

    field: FieldPath
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Includes:
    """``field INCLUDES|EXCLUDES ('a;b', 'c')`` on a multi-select picklist."""

    field: FieldPath
    values: tuple[Value, ...]
    excludes: bool


@dataclass(frozen=True)
class And:
    """All of the conditions."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """Any of the conditions."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The negation of a condition."""

    item: Condition


Condition = Comparison | Like | InList | Includes | And | Or | Not

# --- clauses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CountItem:
    """``COUNT()`` or ``COUNT(field)`` in the select list."""

    field: FieldPath | None
    pos: Pos


@dataclass(frozen=True)
class FieldsItem:
    """``FIELDS(ALL|STANDARD|CUSTOM)`` in the select list."""

    kind: str
    pos: Pos


SelectItem = FieldPath | CountItem | FieldsItem


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key; ``nulls_first`` is None when the query left it to the default."""

    field: FieldPath
    descending: bool
    nulls_first: bool | None


@dataclass(frozen=True)
class ObjectName:
    """The object named in FROM, as written."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Query:
    """A whole parsed SELECT statement."""

    select: tuple[SelectItem, ...]
    sobject: ObjectName
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    offset_pos: Pos | None
    limit_pos: Pos | None
