"""ORDER BY as Salesforce sorts: nulls first ascending, last descending, text case-insensitive.

Sort keys are computed once per record. When every key is a plain (non-text) field, a C-level
``itemgetter`` key is tried first and the null-aware key is used only if a null gets in the way.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfemu.schema import ObjectDef
from sfemu.soql.access import make_getter
from sfemu.soql.context import EvalContext
from sfemu.soql.resolve import ResolvedPath

Record = Mapping[str, Any]
KeyFunc = Callable[[Record], Any]

# Above this many wanted rows a full sort beats a heap selection.
HEAP_LIMIT = 10_000


@dataclass(frozen=True)
class SortKey:
    """One resolved ORDER BY item with Salesforce's default null placement applied."""

    path: ResolvedPath
    descending: bool
    nulls_first: bool

    @classmethod
    def of(cls, path: ResolvedPath, descending: bool, nulls_first: bool | None) -> SortKey:
        """Return a key, defaulting to NULLS FIRST ascending and NULLS LAST descending."""
        return cls(path, descending, (not descending) if nulls_first is None else nulls_first)


class _Reversed:
    """Invert the order of a key part, for DESC items mixed with ASC ones."""

    __slots__ = ("part",)

    def __init__(self, part: Any) -> None:
        self.part = part

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.part < self.part)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.part == other.part)


def _part(key: SortKey, sobject: ObjectDef, ctx: EvalContext, *, reverse: bool) -> KeyFunc:
    """Return the null-aware key function for one item (flag 0/2 for nulls, 1 for values)."""
    get = make_getter(key.path, sobject, ctx)
    if key.descending:
        null = (2,) if key.nulls_first else (0,)
    else:
        null = (0,) if key.nulls_first else (2,)
    text = key.path.category == "text"

    def part(record: Record) -> Any:
        value = get(record)
        if value is None:
            return null
        return (1, value.lower() if text and isinstance(value, str) else value)

    if key.descending and not reverse:
        return lambda record: _Reversed(part(record))
    return part


class Sorter:
    """Sort records by a list of keys, bound to one evaluation context."""

    def __init__(self, keys: list[SortKey], sobject: ObjectDef, ctx: EvalContext) -> None:
        """Prepare the key functions once."""
        directions = {k.descending for k in keys}
        self.reverse = directions == {True}
        parts = [_part(k, sobject, ctx, reverse=self.reverse) for k in keys]
        if len(parts) == 1:
            self.key: KeyFunc = parts[0]
        else:
            self.key = lambda record: tuple(p(record) for p in parts)
        self.fast: KeyFunc | None = None
        plain = all(not k.path.hops and k.path.category != "text" for k in keys)
        if plain and len(directions) == 1:
            self.fast = operator.itemgetter(*(k.path.field.name for k in keys))

    def top(self, records: list[Record], wanted: int | None) -> list[Record]:
        """Return the records in order, only the first ``wanted`` when that is known."""
        if self.fast is not None:
            try:
                return self._select(records, wanted, self.fast)
            except (KeyError, TypeError):
                pass  # a null or missing value: use the null-aware keys
        return self._select(records, wanted, self.key)

    def _select(self, records: list[Record], wanted: int | None, key: KeyFunc) -> list[Record]:
        """Sort fully, or pick the first ``wanted`` with a heap when that is cheaper."""
        if wanted is not None and wanted < HEAP_LIMIT and wanted * 4 < len(records):
            if self.reverse:
                return heapq.nlargest(wanted, records, key=key)
            return heapq.nsmallest(wanted, records, key=key)
        return sorted(records, key=key, reverse=self.reverse)
