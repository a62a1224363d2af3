"""Parse SOQL text into :mod:`sfemu.soql.ast` nodes with a cached LALR parser.

Syntax errors become MALFORMED_QUERY with Salesforce's caret annotation.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from sfemu.errors import SalesforceError
from sfemu.soql import ast
from sfemu.soql.dates import is_date_literal
from sfemu.soql.messages import malformed, unexpected_token

PARSE_CACHE_SIZE = 512

_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


class _SyntaxProblemError(Exception):
    """A syntax problem found while building the tree; turned into MALFORMED_QUERY."""

    def __init__(self, pos: ast.Pos, detail: str) -> None:
        """Keep where and what."""
        super().__init__(detail)
        self.pos = pos
        self.detail = detail


def _pos(token: Token) -> ast.Pos:
    """Return the position of a token."""
    return ast.Pos(token.line or 1, token.column or 1)


def _count(token: Token) -> int:
    """Return a non-negative integer token's value, or reject it as Salesforce does."""
    if not token.isdigit():
        raise _SyntaxProblemError(_pos(token), f"unexpected token: '{token}'")
    return int(token)


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    """Build AST nodes while the LALR parser reduces (no parse tree is kept)."""

    def start(self, *items: Any) -> ast.Query:
        select_list: tuple[ast.SelectItem, ...] = items[1]
        name: Token = items[3]
        where: ast.Condition | None = None
        order: tuple[ast.OrderItem, ...] = ()
        limit: tuple[int, ast.Pos] | None = None
        offset: tuple[int, ast.Pos] | None = None
        for item in items[4:]:
            kind, value = item
            if kind == "where":
                where = value
            elif kind == "order":
                order = value
            elif kind == "limit":
                limit = value
            else:
                offset = value
        return ast.Query(
            select=select_list,
            sobject=ast.ObjectName(str(name), _pos(name)),
            where=where,
            order_by=order,
            limit=limit[0] if limit else None,
            offset=offset[0] if offset else None,
            limit_pos=limit[1] if limit else None,
            offset_pos=offset[1] if offset else None,
        )

    def select_list(self, *items: ast.SelectItem) -> tuple[ast.SelectItem, ...]:
        return items

    def count_all(self, kw: Token, _lp: Token, _rp: Token) -> ast.CountItem:
        return ast.CountItem(None, _pos(kw))

    def count_field(self, kw: Token, _lp: Token, path: ast.FieldPath, _rp: Token) -> ast.CountItem:
        return ast.CountItem(path, _pos(kw))

    def fields_fn(self, kw: Token, _lp: Token, kind: Token, _rp: Token) -> ast.FieldsItem:
        upper = str(kind).upper()
        if upper not in {"ALL", "STANDARD", "CUSTOM"}:
            raise _SyntaxProblemError(_pos(kind), f"unexpected token: '{kind}'")
        return ast.FieldsItem(upper, _pos(kw))

    def field_path(self, *names: Token) -> ast.FieldPath:
        return ast.FieldPath(tuple(str(n) for n in names), _pos(names[0]))

    def where(self, _kw: Token, condition: ast.Condition) -> tuple[str, ast.Condition]:
        return ("where", condition)

    def and_chain(self, *items: Any) -> ast.And:
        return ast.And(tuple(i for i in items if not isinstance(i, Token)))

    def or_chain(self, *items: Any) -> ast.Or:
        return ast.Or(tuple(i for i in items if not isinstance(i, Token)))

    def not_cond(self, _kw: Token, item: ast.Condition) -> ast.Not:
        return ast.Not(item)

    def group(self, _lp: Token, item: ast.Condition, _rp: Token) -> ast.Condition:
        return item

    def comparison(self, path: ast.FieldPath, op: str, value: ast.Value) -> ast.Comparison:
        return ast.Comparison(path, cast("ast.CompareOp", op), value)

    def like(self, path: ast.FieldPath, _kw: Token, value: ast.Value) -> ast.Like:
        return ast.Like(path, value)

    def in_list(self, path: ast.FieldPath, _kw: Token, _lp: Token, values: Any, _rp: Token) -> Any:
        return ast.InList(path, values, negated=False)

    def not_in_list(
        self, path: ast.FieldPath, _n: Token, _kw: Token, _lp: Token, values: Any, _rp: Token
    ) -> ast.InList:
        return ast.InList(path, values, negated=True)

    def includes(self, path: ast.FieldPath, _kw: Token, _lp: Token, values: Any, _rp: Token) -> Any:
        return ast.Includes(path, values, excludes=False)

    def excludes(self, path: ast.FieldPath, _kw: Token, _lp: Token, values: Any, _rp: Token) -> Any:
        return ast.Includes(path, values, excludes=True)

    def compare_op(self, token: Token) -> str:
        return "!=" if token.type == "NE2" else str(token)

    def value_list(self, *values: ast.Value) -> tuple[ast.Value, ...]:
        return values

    def string(self, token: Token) -> ast.StringLit:
        return ast.StringLit(str(token)[1:-1], _pos(token))

    def number(self, token: Token) -> ast.NumberLit:
        return ast.NumberLit(str(token), _pos(token))

    def true(self, token: Token) -> ast.BoolLit:
        return ast.BoolLit(True, _pos(token))

    def false(self, token: Token) -> ast.BoolLit:
        return ast.BoolLit(False, _pos(token))

    def null(self, token: Token) -> ast.NullLit:
        return ast.NullLit(_pos(token))

    def datetime(self, token: Token) -> ast.DateTimeLit:
        return ast.DateTimeLit(str(token), _pos(token))

    def date(self, token: Token) -> ast.DateLit:
        return ast.DateLit(str(token), _pos(token))

    def time(self, token: Token) -> ast.TimeLit:
        return ast.TimeLit(str(token), _pos(token))

    def date_range(self, name: Token) -> ast.DateRangeLit:
        upper = str(name).upper()
        if not is_date_literal(upper, with_n=False):
            raise _SyntaxProblemError(_pos(name), f"unexpected token: '{name}'")
        return ast.DateRangeLit(upper, None, _pos(name))

    def date_range_n(self, name: Token, n: Token) -> ast.DateRangeLit:
        upper = str(name).upper()
        if not is_date_literal(upper, with_n=True):
            raise _SyntaxProblemError(_pos(name), f"unexpected token: '{name}'")
        return ast.DateRangeLit(upper, _count(n), _pos(name))

    def order(self, _o: Token, _b: Token, *items: ast.OrderItem) -> tuple[str, Any]:
        return ("order", items)

    def order_item(self, path: ast.FieldPath, *mods: tuple[str, bool]) -> ast.OrderItem:
        opts = dict(mods)
        return ast.OrderItem(path, opts.get("desc", False), opts.get("nulls_first"))

    def direction(self, token: Token) -> tuple[str, bool]:
        return ("desc", token.type == "DESC")

    def nulls(self, _kw: Token, which: Token) -> tuple[str, bool]:
        return ("nulls_first", which.type == "FIRST")

    def limit(self, kw: Token, n: Token) -> tuple[str, tuple[int, ast.Pos]]:
        return ("limit", (_count(n), _pos(kw)))

    def offset(self, kw: Token, n: Token) -> tuple[str, tuple[int, ast.Pos]]:
        return ("offset", (_count(n), _pos(kw)))


@functools.cache
def _parser() -> Lark:
    """Build the LALR parser once, on first use."""
    grammar = resources.files("sfemu.soql").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_ToAst())


def _end_pos(text: str) -> ast.Pos:
    """Return the position just past the end of the text."""
    rows = text.split("\n")
    return ast.Pos(len(rows), len(rows[-1]) + 1)


def _syntax_error(text: str, exc: UnexpectedInput) -> SalesforceError:
    """Translate a lark error into MALFORMED_QUERY worded as Salesforce does."""
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return unexpected_token(text, _end_pos(text), "<EOF>")
        return unexpected_token(text, _pos(token), str(token))
    if isinstance(exc, UnexpectedCharacters):
        pos = ast.Pos(exc.line, exc.column)
        detail = f"line {exc.line}:{exc.column} no viable alternative at character '{exc.char}'"
        return malformed(text, pos, detail)
    if isinstance(exc, UnexpectedEOF):
        return unexpected_token(text, _end_pos(text), "<EOF>")
    pos = ast.Pos(getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1)
    return malformed(text, pos, "unexpected token")


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def parse_query(text: str) -> ast.Query:
    """Parse SOQL text into a Query, or raise MALFORMED_QUERY."""
    if not text.strip():
        raise unexpected_token(text, _end_pos(text), "<EOF>")
    try:
        result = _parser().parse(text)
    except _SyntaxProblemError as problem:
        raise malformed(text, problem.pos, problem.detail) from None
    except UnexpectedInput as exc:
        inner = exc.__context__
        if isinstance(inner, _SyntaxProblemError):
            raise malformed(text, inner.pos, inner.detail) from None
        raise _syntax_error(text, exc) from None
    if not isinstance(result, ast.Query):  # pragma: no cover - the grammar has one start rule
        raise malformed(text, ast.Pos(1, 1), "unexpected token")
    return result


def _escape_at(raw: str, i: int) -> tuple[str, int]:
    """Decode the escape starting at ``raw[i]`` (a backslash); return the text and next index."""
    nxt = raw[i + 1] if i + 1 < len(raw) else ""
    if nxt in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[nxt], i + 2
    low = nxt.lower()
    if low.isalpha() and low in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[low], i + 2
    if nxt == "u" and _HEX4.fullmatch(raw, i + 2, i + 6):
        return chr(int(raw[i + 2 : i + 6], 16)), i + 6
    raise ValueError(f"\\{nxt}")


def decode_string(raw: str) -> str:
    """Decode the escapes of a quoted SOQL string (the text between the quotes).

    Raises ValueError naming the bad sequence, which the caller words for the user.
    """
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            text, i = _escape_at(raw, i)
            out.append(text)
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def like_regex(raw: str) -> re.Pattern[str]:
    """Compile a LIKE pattern (``%`` any run, ``_`` one character) to a case-insensitive regex.

    ``\\%`` and ``\\_`` stand for the characters themselves; other escapes decode as usual.
    Raises ValueError naming a bad escape sequence.
    """
    parts: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            if raw[i + 1 : i + 2] in ("%", "_"):
                parts.append(re.escape(raw[i + 1]))
                i += 2
            else:
                text, i = _escape_at(raw, i)
                parts.append(re.escape(text))
            continue
        if ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
        i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
