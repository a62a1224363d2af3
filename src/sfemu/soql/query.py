"""Compile SOQL text against a catalog: parse (cached), resolve, check, and build closures."""

from __future__ import annotations

from sfemu.errors import SalesforceError
from sfemu.schema import ObjectDef
from sfemu.soql import ast
from sfemu.soql.evaluate import CompiledQuery
from sfemu.soql.messages import malformed, unsupported_sobject
from sfemu.soql.ordering import SortKey
from sfemu.soql.parser import parse_query
from sfemu.soql.predicates import compile_condition
from sfemu.soql.resolve import Catalog, ResolvedPath, Resolver

MAX_OFFSET = 2000
MAX_QUERY_LENGTH = 100_000
MAX_FIELDS_LIMIT = 200
_INDEXABLE = frozenset({"datetime", "date", "id"})


def compile_query(text: str, catalog: Catalog, *, all_rows: bool = False) -> CompiledQuery:
    """Return the compiled query, or raise SalesforceError worded as Salesforce words it.

    ``all_rows`` is queryAll: deleted records are included and ``IsDeleted`` decides.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise SalesforceError(
            "MALFORMED_QUERY",
            f"SOQL statements cannot be longer than {MAX_QUERY_LENGTH} characters.",
            include_fields=False,
        )
    query = parse_query(text)
    sobject = catalog.find_sobject(query.sobject.name)
    if sobject is None or not sobject.queryable:
        raise unsupported_sobject(text, query.sobject.pos, query.sobject.name)
    resolver = Resolver(text, sobject, catalog)
    paths, is_count, count_path = _select(query, resolver)
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise SalesforceError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            include_fields=False,
        )
    where = compile_condition(query.where, resolver) if query.where is not None else None
    order = [
        SortKey.of(resolver.sortable(item.field), item.descending, item.nulls_first)
        for item in query.order_by
    ]
    return CompiledQuery(
        text=text,
        sobject=sobject,
        is_count=is_count,
        limit=query.limit,
        offset=query.offset,
        columns=[p.canonical for p in paths],
        all_rows=all_rows,
        paths=paths,
        where=where,
        order=order,
        count_path=count_path,
        hint=_keyset_hint(query.where, resolver),
        bounds=_range_bounds(query.where, resolver),
        compounds=_compounds(sobject, paths),
    )


def _compounds(sobject: ObjectDef, paths: list[ResolvedPath]) -> dict[str, list[tuple[str, str]]]:
    """Return, per selected compound address field, its (JSON key, part field) pairs.

    REST renders a compound address as an object of its parts, keys in alphabetical order.
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        f = path.field
        if path.hops or f.type != "address":
            continue
        prefix = f.name[: -len("Address")] if f.name.endswith("Address") else ""
        parts = []
        for part in sobject.fields.values():
            if part.compound_field_name == f.name and part.name != f.name:
                suffix = part.name[len(prefix) :]
                parts.append((suffix[:1].lower() + suffix[1:], part.name))
        out[f.name] = sorted(parts)
    return out


def _select(
    query: ast.Query, resolver: Resolver
) -> tuple[list[ResolvedPath], bool, ResolvedPath | None]:
    """Resolve the select list; return (paths, is_count, path counted by COUNT(field))."""
    text = resolver.text
    paths: list[ResolvedPath] = []
    seen: set[str] = set()
    counts = [item for item in query.select if isinstance(item, ast.CountItem)]
    if counts and len(query.select) > 1:
        raise malformed(text, query.select[1].pos, "COUNT() must be the only item in SELECT")
    if counts:
        count = counts[0]
        count_path = resolver.path(count.field) if count.field is not None else None
        return [], True, count_path
    for item in query.select:
        if isinstance(item, ast.FieldsItem):
            if item.kind != "STANDARD" and (query.limit is None or query.limit > MAX_FIELDS_LIMIT):
                detail = f"The SOQL FIELDS function must have a LIMIT of at most {MAX_FIELDS_LIMIT}"
                raise malformed(text, item.pos, detail)
            for f in resolver.sobject.fields.values():
                wanted = item.kind == "ALL" or f.custom == (item.kind == "CUSTOM")
                if wanted and f.name.lower() not in seen:
                    seen.add(f.name.lower())
                    paths.append(resolver.path(ast.FieldPath((f.name,), item.pos)))
            continue
        if isinstance(item, ast.CountItem):  # pragma: no cover - handled above
            continue
        resolved = resolver.path(item)
        if resolved.canonical.lower() in seen:
            raise malformed(text, item.pos, f"duplicate field selected: {resolved.canonical}")
        seen.add(resolved.canonical.lower())
        paths.append(resolved)
    return paths, False, None


def _keyset_hint(where: ast.Condition | None, resolver: Resolver) -> tuple[str, str, str] | None:
    """Return (field, op, wire value) for the first indexable range in a top-level AND, or None."""
    if where is None:
        return None
    items = where.items if isinstance(where, ast.And) else (where,)
    for item in items:
        if not isinstance(item, ast.Comparison) or item.op == "!=":
            continue
        target = resolver.path(item.field)
        if target.hops or target.category not in _INDEXABLE:
            continue
        operand = resolver.operand(target, item.value)
        if isinstance(operand.value, str):
            return (target.canonical, item.op, operand.value)
    return None


def _range_bounds(
    where: ast.Condition | None, resolver: Resolver
) -> dict[str, tuple[str | None, str | None]]:
    """Return, per indexable field, the tightest inclusive [low, high] a top-level AND implies.

    Strict operators give the same bound as their inclusive forms: the bounds only narrow the
    rows an index reads, and WHERE still runs on each of them.
    """
    if where is None:
        return {}
    items = where.items if isinstance(where, ast.And) else (where,)
    bounds: dict[str, tuple[str | None, str | None]] = {}
    for item in items:
        if not isinstance(item, ast.Comparison) or item.op == "!=":
            continue
        target = resolver.path(item.field)
        if target.hops or target.category not in _INDEXABLE:
            continue
        value = resolver.operand(target, item.value).value
        if not isinstance(value, str):
            continue
        low, high = bounds.get(target.canonical, (None, None))
        if item.op in ("=", ">", ">="):
            low = value if low is None else max(low, value)
        if item.op in ("=", "<", "<="):
            high = value if high is None else min(high, value)
        bounds[target.canonical] = (low, high)
    return bounds
