"""SOQL for sfemu: a lark grammar, name resolution, compiled evaluation, Salesforce errors.

Public API: :func:`compile_query` returns a :class:`CompiledQuery`; records are the org's
plain dicts of wire values; :class:`EvalContext` supplies parent look-ups and "now".
"""

from sfemu.soql.context import EvalContext
from sfemu.soql.evaluate import CompiledQuery
from sfemu.soql.query import compile_query
from sfemu.soql.resolve import Catalog

__all__ = ["Catalog", "CompiledQuery", "EvalContext", "compile_query"]
