"""Read a resolved field path from a record, following parent references through the context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sfemu.schema import ObjectDef
from sfemu.soql.context import EvalContext
from sfemu.soql.resolve import Hop, ResolvedPath

Record = Mapping[str, Any]
Getter = Callable[[Record], Any]
Step = Callable[[Record, str], "tuple[Record, str, ObjectDef] | None"]


def make_step(hop: Hop, ctx: EvalContext) -> Step:
    """Return a function that follows one relationship from a record of a known object type.

    The object type of the parent comes from the hop when it has a single target, else from
    the parent's id (polymorphic references such as Owner -> User or Group).
    """
    lookup = ctx.lookup
    object_for_id = ctx.object_for_id
    ref_fields = hop.ref_fields
    by_key = {t.name.lower(): t for t in hop.targets}
    only = hop.targets[0] if len(hop.targets) == 1 else None
    only_key = only.name.lower() if only is not None else ""

    def step(record: Record, key: str) -> tuple[Record, str, ObjectDef] | None:
        field_name = ref_fields.get(key)
        if field_name is None:
            return None
        ref = record.get(field_name)
        if not ref:
            return None
        parent = lookup(ref)
        if parent is None:
            return None
        if only is not None:
            return parent, only_key, only
        obj = object_for_id(ref)
        if obj is None:
            return None
        target = by_key.get(obj.name.lower())
        if target is None:
            return None
        return parent, obj.name.lower(), target

    return step


def make_getter(path: ResolvedPath, sobject: ObjectDef, ctx: EvalContext) -> Getter:
    """Return a function reading ``path`` from a record of ``sobject`` (None when unreachable)."""
    if not path.hops:
        name = path.field.name

        def get_direct(record: Record) -> Any:
            return record.get(name)

        return get_direct
    steps = [make_step(hop, ctx) for hop in path.hops]
    finals = path.finals
    start_key = sobject.name.lower()

    def get_parent_field(record: Record) -> Any:
        current: Record = record
        key = start_key
        for step in steps:
            found = step(current, key)
            if found is None:
                return None
            current, key, _ = found
        field_name = finals.get(key)
        return None if field_name is None else current.get(field_name)

    return get_parent_field
