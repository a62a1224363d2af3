"""Compile a WHERE condition into Python closures, checked once and run per record.

Compilation happens in two steps: :func:`compile_condition` resolves names and literals (all
user errors are raised here), and the returned binder builds the record predicate for one
:class:`EvalContext` (parent look-ups and "now" for relative dates). No tree is walked per row.

Null semantics follow SOQL rather than SQL: ``Field != 'x'`` and ``NOT IN`` match records
whose field is null, ``= null`` matches them, and range operators never do.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from sfemu.schema import ObjectDef
from sfemu.soql import ast
from sfemu.soql.access import make_getter
from sfemu.soql.context import EvalContext
from sfemu.soql.dates import date_range, day_start_wire
from sfemu.soql.messages import bad_operator
from sfemu.soql.resolve import Category, Operand, ResolvedPath, Resolver

Record = Mapping[str, Any]
Pred = Callable[[Record], bool]
Test = Callable[[Any], bool]
Binder = Callable[[EvalContext], Pred]
TestBinder = Callable[[EvalContext], Test]

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_condition(cond: ast.Condition, resolver: Resolver) -> Binder:
    """Check a condition against the schema and return its predicate binder."""
    if isinstance(cond, ast.And | ast.Or):
        parts = [compile_condition(item, resolver) for item in cond.items]
        return _bind_and(parts) if isinstance(cond, ast.And) else _bind_or(parts)
    if isinstance(cond, ast.Not):
        inner = compile_condition(cond.item, resolver)

        def bind_not(ctx: EvalContext) -> Pred:
            pred = inner(ctx)
            return lambda record: not pred(record)

        return bind_not
    target = resolver.filterable(cond.field)
    test: TestBinder
    if isinstance(cond, ast.Comparison):
        operand = resolver.operand(target, cond.value)
        test = _comparison(resolver, target, cond.op, operand)
    elif isinstance(cond, ast.Like):
        pattern = resolver.like_operand(target, cond.pattern).pattern
        test = _fixed(lambda v: v is not None and pattern.fullmatch(str(v)) is not None)
    elif isinstance(cond, ast.InList):
        operands = [resolver.operand(target, v) for v in cond.values]
        test = _membership(target.category, operands, negated=cond.negated)
    else:
        sets = resolver.includes_operands(target, cond.values).value
        test = _includes(sets, excludes=cond.excludes)
    return _bind_field(target, resolver.sobject, test)


def _bind_field(target: ResolvedPath, sobject: ObjectDef, test_binder: TestBinder) -> Binder:
    """Return a binder applying a value test to one field path of each record."""

    def bind(ctx: EvalContext) -> Pred:
        test = test_binder(ctx)
        if not target.hops:
            name = target.field.name
            return lambda record: test(record.get(name))
        get = make_getter(target, sobject, ctx)
        return lambda record: test(get(record))

    return bind


def _bind_and(parts: list[Binder]) -> Binder:
    """Return a binder for the conjunction of several conditions."""

    def bind(ctx: EvalContext) -> Pred:
        preds = [p(ctx) for p in parts]
        if len(preds) == 2:
            first, second = preds
            return lambda record: first(record) and second(record)
        return lambda record: all(pred(record) for pred in preds)

    return bind


def _bind_or(parts: list[Binder]) -> Binder:
    """Return a binder for the disjunction of several conditions."""

    def bind(ctx: EvalContext) -> Pred:
        preds = [p(ctx) for p in parts]
        if len(preds) == 2:
            first, second = preds
            return lambda record: first(record) or second(record)
        return lambda record: any(pred(record) for pred in preds)

    return bind


def _fixed(test: Test) -> TestBinder:
    """Return a test binder that does not depend on the context."""
    return lambda _ctx: test


def _normalizer(cat: Category) -> Callable[[Any], Any]:
    """Return how values of a category are made comparable (text is case-insensitive)."""
    if cat == "text":
        return lambda v: v.lower() if isinstance(v, str) else v
    if cat == "multi":
        return lambda v: frozenset(p.strip().lower() for p in v.split(";") if p.strip())
    if cat == "bool":
        return bool
    return lambda v: v


def _comparison(resolver: Resolver, target: ResolvedPath, op: str, operand: Operand) -> TestBinder:
    """Return the test binder for ``field <op> literal``."""
    cat = target.category
    if op in _ORDERING and cat in ("bool", "multi"):
        detail = f"invalid operator on field: {target.canonical}. '{op}' does not apply to it"
        raise bad_operator(resolver.text, target.pos, detail)
    if operand.date_range is not None:
        return _range_test(cat, op, operand.date_range)
    lit = operand.value
    if lit is None:
        if op == "=":
            return _fixed(lambda v: v is None)
        if op == "!=":
            return _fixed(lambda v: v is not None)
        return _fixed(lambda _v: False)
    norm = _normalizer(cat)
    key = norm(lit)
    if op in ("=", "!="):
        if cat == "bool":
            equal: Test = lambda v: bool(v) == key  # noqa: E731 - a one-line test reads best
        elif cat in ("text", "multi"):
            equal = lambda v: v is not None and norm(v) == key  # noqa: E731 - as above
        else:
            equal = lambda v: v == key  # noqa: E731 - as above
        if op == "=":
            return _fixed(equal)
        return _fixed(lambda v: not equal(v))
    compare = _ORDERING[op]
    if cat == "text":
        return _fixed(lambda v: v is not None and compare(norm(v), key))
    return _fixed(lambda v: v is not None and compare(v, key))


def _range_bounds(cat: Category, name: str, n: int | None, ctx: EvalContext) -> tuple[str, str]:
    """Return the wire-format ``[start, end)`` of a relative date literal for a field category."""
    start, end = date_range(name, n, ctx.now)
    if cat == "datetime":
        return day_start_wire(start), day_start_wire(end)
    return start.isoformat(), end.isoformat()


def _range_test(cat: Category, op: str, literal: tuple[str, int | None]) -> TestBinder:
    """Return the test binder comparing a date or dateTime with a relative range."""
    name, n = literal

    def bind(ctx: EvalContext) -> Test:
        start, end = _range_bounds(cat, name, n, ctx)
        if op == "=":
            return lambda v: v is not None and start <= v < end
        if op == "!=":
            return lambda v: v is None or not start <= v < end
        if op == "<":
            return lambda v: v is not None and v < start
        if op == "<=":
            return lambda v: v is not None and v < end
        if op == ">":
            return lambda v: v is not None and v >= end
        return lambda v: v is not None and v >= start

    return bind


def _membership(cat: Category, operands: list[Operand], *, negated: bool) -> TestBinder:
    """Return the test binder for ``IN``/``NOT IN`` over a list of literals."""
    norm = _normalizer(cat)
    keys = frozenset(norm(o.value) for o in operands if o.value is not None)
    has_null = any(o.value is None and o.date_range is None for o in operands)
    ranges = [o.date_range for o in operands if o.date_range is not None]

    def bind(ctx: EvalContext) -> Test:
        bounds = [_range_bounds(cat, name, n, ctx) for name, n in ranges]

        def member(v: Any) -> bool:
            if v is None:
                return has_null
            if norm(v) in keys:
                return True
            return any(start <= v < end for start, end in bounds)

        if negated:
            return lambda v: not member(v)
        return member

    return bind


def _includes(sets: tuple[frozenset[str], ...], *, excludes: bool) -> TestBinder:
    """Return the test binder for INCLUDES/EXCLUDES on a multi-select picklist."""

    def includes(v: Any) -> bool:
        if v is None:
            return False
        chosen = frozenset(p.strip().lower() for p in str(v).split(";") if p.strip())
        return any(wanted <= chosen for wanted in sets)

    if excludes:
        return _fixed(lambda v: not includes(v))
    return _fixed(includes)
