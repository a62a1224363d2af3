"""Run a compiled query: filter, sort, page, and shape rows as REST and Bulk 2.0 return them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sfemu.schema import ObjectDef
from sfemu.soql.access import Getter, Step, make_getter, make_step
from sfemu.soql.context import EvalContext
from sfemu.soql.ordering import Sorter, SortKey
from sfemu.soql.predicates import Binder, Pred
from sfemu.soql.resolve import ResolvedPath

Record = Mapping[str, Any]


def _accept_all(_record: Record) -> bool:
    """Take every record (a query with no condition at all)."""
    return True


@dataclass
class _Bound:
    """A query's closures for one evaluation context."""

    pred: Pred | None
    sorter: Sorter | None
    getters: list[Getter]
    steps: list[list[Step]]
    url: str
    direct: list[str] | None


@dataclass
class CompiledQuery:
    """A checked SOQL query, ready to run against records of its object.

    ``columns`` are the selected paths in SELECT order and canonical case. ``run`` returns the
    source records; ``project`` and ``flat_row`` shape one of them for REST or CSV.
    """

    text: str
    sobject: ObjectDef
    is_count: bool
    limit: int | None
    offset: int | None
    columns: list[str]
    all_rows: bool = False
    paths: list[ResolvedPath] = field(default_factory=list, repr=False)
    where: Binder | None = field(default=None, repr=False)
    order: list[SortKey] = field(default_factory=list, repr=False)
    count_path: ResolvedPath | None = field(default=None, repr=False)
    hint: tuple[str, str, str] | None = field(default=None, repr=False)
    bounds: dict[str, tuple[str | None, str | None]] = field(default_factory=dict, repr=False)
    compounds: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _cache: tuple[EvalContext, _Bound] | None = field(default=None, repr=False, compare=False)

    # --- binding ------------------------------------------------------------------------
    def _bind(self, ctx: EvalContext) -> _Bound:
        """Return the closures for ``ctx``, reusing them while the same context is passed."""
        if self._cache is not None and self._cache[0] is ctx:
            return self._cache[1]
        checks: list[Pred] = []
        if not self.all_rows:
            checks.append(lambda record: not record.get("IsDeleted"))
        if self.where is not None:
            checks.append(self.where(ctx))
        if self.count_path is not None:
            count_get = make_getter(self.count_path, self.sobject, ctx)
            checks.append(lambda record: count_get(record) is not None)
        pred: Pred | None = None
        if len(checks) == 1:
            pred = checks[0]
        elif len(checks) == 2:
            first, second = checks
            pred = lambda record: first(record) and second(record)  # noqa: E731 - hot path
        elif checks:
            pred = lambda record: all(check(record) for check in checks)  # noqa: E731 - as above
        sorter = Sorter(self.order, self.sobject, ctx) if self.order else None
        getters = [make_getter(p, self.sobject, ctx) for p in self.paths]
        steps = [[make_step(hop, ctx) for hop in p.hops] for p in self.paths]
        url = self._url(ctx, self.sobject.name, "")
        direct = None if any(p.hops for p in self.paths) else [p.field.name for p in self.paths]
        bound = _Bound(pred, sorter, getters, steps, url, direct)
        self._cache = (ctx, bound)
        return bound

    # --- evaluation ---------------------------------------------------------------------
    def matches(self, record: Record, ctx: EvalContext) -> bool:
        """Tell whether a record passes WHERE (and is live, unless the query is queryAll)."""
        pred = self._bind(ctx).pred
        return True if pred is None else pred(record)

    def predicate(self, ctx: EvalContext) -> Pred:
        """Return the record test of WHERE (and liveness, unless the query is queryAll)."""
        pred = self._bind(ctx).pred
        return _accept_all if pred is None else pred

    def run(self, records: Iterable[Record], ctx: EvalContext) -> list[Record]:
        """Return the matching records in ORDER BY order, after OFFSET and LIMIT."""
        bound = self._bind(ctx)
        pred = bound.pred
        rows = list(records) if pred is None else [r for r in records if pred(r)]
        start = self.offset or 0
        if bound.sorter is not None:
            wanted = None if self.limit is None else start + self.limit
            rows = bound.sorter.top(rows, wanted)
        if start or self.limit is not None:
            end = None if self.limit is None else start + self.limit
            rows = rows[start:end]
        return rows

    def keyset_hint(self) -> tuple[str, str, str] | None:
        """Return (field, operator, wire value) when WHERE has a range an index can serve."""
        return self.hint

    def index_range(self, field_name: str) -> tuple[str | None, str | None] | None:
        """Return the inclusive (low, high) wire bounds WHERE puts on a field, or None.

        Either end may be None (unbounded). Every matching record lies inside the range, so an
        index may read just that range and still apply WHERE to each row it finds.
        """
        return self.bounds.get(field_name)

    # --- shaping ------------------------------------------------------------------------
    def _url(self, ctx: EvalContext, type_name: str, record_id: Any) -> str:
        """Return the record URL REST puts in ``attributes``."""
        return f"/services/data/v{ctx.api_version}/sobjects/{type_name}/{record_id}"

    def project(self, record: Record, ctx: EvalContext) -> dict[str, Any]:
        """Return the REST query row: attributes, then the selected fields, parents nested."""
        bound = self._bind(ctx)
        row: dict[str, Any] = {
            "attributes": {"type": self.sobject.name, "url": f"{bound.url}{record.get('Id')}"}
        }
        if bound.direct is not None:
            get = record.get
            for name in bound.direct:
                row[name] = get(name)
        else:
            parents: dict[tuple[str, ...], tuple[Record, str] | None] = {}
            for path, steps in zip(self.paths, bound.steps, strict=True):
                if path.hops:
                    self._nest(row, record, path, steps, parents, ctx)
                else:
                    row[path.field.name] = record.get(path.field.name)
        for name, parts in self.compounds.items():
            value = {key: record.get(part) for key, part in parts}
            row[name] = None if all(v is None for v in value.values()) else value
        return row

    def _nest(
        self,
        row: dict[str, Any],
        record: Record,
        path: ResolvedPath,
        steps: list[Step],
        parents: dict[tuple[str, ...], tuple[Record, str] | None],
        ctx: EvalContext,
    ) -> None:
        """Put a parent path's value into ``row``, creating each parent object once (or null)."""
        container = row
        current: Record = record
        key = self.sobject.name.lower()
        prefix: tuple[str, ...] = ()
        for hop, step in zip(path.hops, steps, strict=True):
            prefix = (*prefix, hop.rel_name)
            if prefix not in parents:
                found = step(current, key)
                if found is None:
                    parents[prefix] = None
                    container[hop.rel_name] = None
                else:
                    parent, parent_key, parent_obj = found
                    parents[prefix] = (parent, parent_key)
                    url = self._url(ctx, parent_obj.name, parent.get("Id"))
                    container[hop.rel_name] = {"attributes": {"type": parent_obj.name, "url": url}}
            known = parents[prefix]
            if known is None:
                return
            current, key = known
            container = container[hop.rel_name]
        final_name = path.finals.get(key)
        container[path.field.name] = None if final_name is None else current.get(final_name)

    def flat_row(self, record: Record, ctx: EvalContext) -> list[Any]:
        """Return one value per column, parent paths resolved (None for null), for CSV."""
        return [get(record) for get in self._bind(ctx).getters]
