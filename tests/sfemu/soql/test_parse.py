"""The grammar: what it accepts, what it rejects, and what it records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sfemu.errors import SalesforceError
from sfemu.soql import ast
from sfemu.soql.parser import decode_string, like_regex, parse_query

ACCEPTED = [
    "SELECT Id FROM Lead",
    "select id from lead",
    "SeLeCt Id, LastName FrOm LeAd",
    "SELECT Id, Owner.Email, Owner.Profile.Name, ConvertedAccount.Name FROM Lead",
    "SELECT Lead.LastName FROM Lead",
    "SELECT COUNT() FROM Lead",
    "SELECT count(Id) FROM Lead WHERE Email != null",
    "SELECT FIELDS(STANDARD) FROM Lead",
    "SELECT FIELDS(ALL) FROM Lead LIMIT 200",
    "SELECT FIELDS(custom) FROM Lead LIMIT 10",
    "SELECT Id FROM Lead WHERE LastName = 'Smith'",
    "SELECT Id FROM Lead WHERE LastName <> 'Smith' AND Email != null",
    "SELECT Id FROM Lead WHERE (LastName = 'a' OR LastName = 'b') AND DoNotCall = false",
    "SELECT Id FROM Lead WHERE NOT LastName = 'a'",
    "SELECT Id FROM Lead WHERE NOT (LastName = 'a' OR Email = null)",
    "SELECT Id FROM Lead WHERE LastName LIKE 'Sm%th\\_x'",
    "SELECT Id FROM Lead WHERE Status IN ('Open', 'Working')",
    "SELECT Id FROM Lead WHERE Status NOT IN ('Open')",
    "SELECT Id FROM Lead WHERE Interests__c INCLUDES ('a;b', 'c')",
    "SELECT Id FROM Lead WHERE Interests__c EXCLUDES ('a')",
    "SELECT Id FROM Lead WHERE Score__c >= 1.5 AND NumberOfEmployees < -3",
    "SELECT Id FROM Lead WHERE NumberOfEmployees > 10 AND Score__c <= 2e3",
    "SELECT Id FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00Z",
    "SELECT Id FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00.000+0000",
    "SELECT Id FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00-08:00",
    "SELECT Id FROM Lead WHERE ConvertedDate = 2026-01-01",
    "SELECT Id FROM Lead WHERE CallTime__c > 10:30:00.000Z",
    "SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:30",
    "SELECT Id FROM Lead WHERE CreatedDate = today",
    "SELECT Id FROM Lead WHERE ConvertedDate < NEXT_N_DAYS:7 OR ConvertedDate = null",
    "SELECT Id FROM Lead ORDER BY LastName",
    "SELECT Id FROM Lead ORDER BY LastName DESC NULLS FIRST, Id ASC NULLS LAST",
    "SELECT Id FROM Lead ORDER BY SystemModstamp, Id LIMIT 2000",
    "SELECT Id FROM Lead LIMIT 10 OFFSET 2000",
    "SELECT Id\nFROM Lead\nWHERE SystemModstamp >= 2026-01-01T00:00:00Z\nORDER BY Id",
    "SELECT Id FROM Lead WHERE OwnerId = '005000000000001AAA'",
    "SELECT Id FROM Lead WHERE Owner.Email LIKE '%@example.com' ORDER BY Owner.Email",
]

REJECTED = [
    # (query, token Salesforce names, row, column)
    ("SELECT FROM Lead", "FROM", 1, 8),
    ("SELECT Id Lead", "Lead", 1, 11),
    ("SELECT Id FROM", "<EOF>", 1, 15),
    ("SELECT Id FROM Lead WHERE", "<EOF>", 1, 26),
    ("SELECT Id FROM Lead WHERE LastName = 'a' AND Email = 'b' OR Phone = 'c'", "OR", 1, 58),
    ("SELECT Id FROM Lead WHERE LastName = 'a' OR Email = 'b' AND Phone = 'c'", "AND", 1, 57),
    ("SELECT Id FROM Lead ORDER LastName", "LastName", 1, 27),
    ("SELECT Id FROM Lead LIMIT 5 WHERE LastName = 'a'", "WHERE", 1, 29),
    ("SELECT Id FROM Lead OFFSET 5 LIMIT 1", "LIMIT", 1, 30),
    ("SELECT Id FROM Lead WHERE LastName = Smith", "Smith", 1, 38),
    ("SELECT Id FROM Lead WHERE LastName IN ()", ")", 1, 40),
    ("SELECT Id, FROM Lead", "FROM", 1, 12),
    ("SELECT FIELDS(EVERYTHING) FROM Lead", "EVERYTHING", 1, 15),
    ("SELECT Id FROM Lead LIMIT -1", "-1", 1, 27),
    ("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_WEEKZ:2", "LAST_N_WEEKZ", 1, 41),
    ("SELECT Id FROM Lead\nWHERE\nLastName == 'x'", "=", 3, 11),
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_queries_parse_and_compile(text: str, compile_soql: Callable[..., Any]) -> None:
    query = compile_soql(text)
    assert query.text == text
    assert query.sobject.name == "Lead"


@pytest.mark.parametrize(("text", "token", "row", "column"), REJECTED)
def test_rejected_queries_name_the_token_and_its_place(
    text: str, token: str, row: int, column: int
) -> None:
    with pytest.raises(SalesforceError) as info:
        parse_query(text)
    err = info.value
    assert err.error_code == "MALFORMED_QUERY"
    assert err.status == 400
    assert err.message.endswith(f"ERROR at Row:{row}:Column:{column}\nunexpected token: '{token}'")


def test_syntax_error_shows_the_row_with_a_caret_under_the_column() -> None:
    with pytest.raises(SalesforceError) as info:
        parse_query("SELECT Id FROM Lead WHERE LastName = 'a' AND Email = 'b' OR Phone = 'c'")
    assert info.value.message == (
        "\nSELECT Id FROM Lead WHERE LastName = 'a' AND Email = 'b' OR Phone = 'c'\n"
        + " " * 57
        + "^\nERROR at Row:1:Column:58\nunexpected token: 'OR'"
    )
    assert info.value.rest_body() == [
        {"message": info.value.message, "errorCode": "MALFORMED_QUERY"}
    ]


def test_unknown_character_is_reported_as_no_viable_alternative() -> None:
    with pytest.raises(SalesforceError) as info:
        parse_query("SELECT Id FROM Lead WHERE LastName ! 'x'")
    assert info.value.error_code == "MALFORMED_QUERY"
    assert info.value.message.endswith(
        "ERROR at Row:1:Column:36\nline 1:36 no viable alternative at character '!'"
    )


def test_unterminated_string_is_malformed() -> None:
    with pytest.raises(SalesforceError) as info:
        parse_query("SELECT Id FROM Lead WHERE LastName = 'x")
    assert info.value.error_code == "MALFORMED_QUERY"
    assert "no viable alternative at character '''" in info.value.message


def test_blank_query_is_malformed() -> None:
    with pytest.raises(SalesforceError) as info:
        parse_query("   ")
    assert info.value.error_code == "MALFORMED_QUERY"
    assert info.value.message.endswith("unexpected token: '<EOF>'")


def test_keywords_that_start_names_do_not_split_them() -> None:
    query = parse_query("SELECT Selected, Fromage, Ordering, Limits FROM Lead")
    assert [item.parts for item in query.select if isinstance(item, ast.FieldPath)] == [
        ("Selected",),
        ("Fromage",),
        ("Ordering",),
        ("Limits",),
    ]


def test_tree_records_clauses_and_positions() -> None:
    query = parse_query(
        "SELECT Id, Owner.Email FROM Lead WHERE Email = null "
        "ORDER BY LastName DESC NULLS FIRST, Id LIMIT 5 OFFSET 10"
    )
    assert query.select[1] == ast.FieldPath(("Owner", "Email"), ast.Pos(1, 12))
    assert query.sobject == ast.ObjectName("Lead", ast.Pos(1, 29))
    assert query.where == ast.Comparison(
        ast.FieldPath(("Email",), ast.Pos(1, 40)), "=", ast.NullLit(ast.Pos(1, 48))
    )
    assert query.order_by == (
        ast.OrderItem(ast.FieldPath(("LastName",), ast.Pos(1, 62)), True, True),
        ast.OrderItem(ast.FieldPath(("Id",), ast.Pos(1, 89)), False, None),
    )
    assert (query.limit, query.offset) == (5, 10)


def test_not_equal_spellings_are_the_same_operator() -> None:
    a = parse_query("SELECT Id FROM Lead WHERE LastName <> 'x'").where
    b = parse_query("SELECT Id FROM Lead WHERE LastName != 'x'").where
    assert isinstance(a, ast.Comparison)
    assert isinstance(b, ast.Comparison)
    assert a.op == b.op == "!="


def test_date_literals_are_read_in_any_case() -> None:
    where = parse_query("SELECT Id FROM Lead WHERE CreatedDate = last_n_days:14").where
    assert isinstance(where, ast.Comparison)
    assert where.value == ast.DateRangeLit("LAST_N_DAYS", 14, ast.Pos(1, 41))


def test_parsing_is_cached_by_text() -> None:
    text = "SELECT Id FROM Lead WHERE LastName = 'cache me'"
    assert parse_query(text) is parse_query(text)


def test_columns_are_canonical_and_in_select_order(compile_soql: Callable[..., Any]) -> None:
    query = compile_soql("select lastname, OWNER.email, id, owner.PROFILE.name from LEAD")
    assert query.columns == ["LastName", "Owner.Email", "Id", "Owner.Profile.Name"]
    assert query.sobject.name == "Lead"
    assert not query.is_count


def test_object_prefix_on_a_field_is_dropped(compile_soql: Callable[..., Any]) -> None:
    assert compile_soql("SELECT Lead.LastName FROM Lead").columns == ["LastName"]


def test_fields_functions_expand_in_schema_order(compile_soql: Callable[..., Any]) -> None:
    custom = compile_soql("SELECT FIELDS(CUSTOM) FROM Lead LIMIT 5").columns
    assert custom == ["Interests__c", "Score__c", "CallTime__c"]
    standard = compile_soql("SELECT FIELDS(STANDARD) FROM Lead").columns
    assert standard[:4] == ["Id", "IsDeleted", "SystemModstamp", "FirstName"]
    assert "Score__c" not in standard
    everything = compile_soql("SELECT Id, FIELDS(ALL) FROM Lead LIMIT 1").columns
    assert everything[0] == "Id"
    assert everything.count("Id") == 1
    assert len(everything) == len(standard) + len(custom)


def test_count_queries_have_no_columns(compile_soql: Callable[..., Any]) -> None:
    query = compile_soql("SELECT COUNT() FROM Lead WHERE Email != null")
    assert query.is_count
    assert query.columns == []


def test_limit_and_offset_are_exposed(compile_soql: Callable[..., Any]) -> None:
    query = compile_soql("SELECT Id FROM Lead LIMIT 25 OFFSET 50")
    assert (query.limit, query.offset) == (25, 50)
    assert compile_soql("SELECT Id FROM Lead").limit is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("plain", "plain"),
        ("O\\'Brien", "O'Brien"),
        ('say \\"hi\\"', 'say "hi"'),
        ("back\\\\slash", "back\\slash"),
        ("a\\nb\\Nc", "a\nb\nc"),
        ("\\r\\R\\t\\T\\b\\B\\f\\F", "\r\r\t\t\b\b\f\f"),
        ("\\u00e9t\\u00C9", "\u00e9t\u00c9"),
    ],
)
def test_string_escapes_decode(raw: str, text: str) -> None:
    assert decode_string(raw) == text


@pytest.mark.parametrize("raw", ["\\q", "50\\%", "a\\_b", "\\u12", "\\x41", "trailing\\"])
def test_other_backslashes_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\\"):
        decode_string(raw)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("Sm%", ["smith", "SMYTHE", "Sm"], ["asmith"]),
        ("%son", ["Jackson", "son"], ["sons"]),
        ("J_n", ["Jan", "jon"], ["Jn", "Joan"]),
        ("100\\%", ["100%"], ["1000", "100"]),
        ("a\\_b", ["a_b"], ["axb"]),
        ("a\\\\%", ["a\\", "a\\bc"], ["ab"]),
        ("line\\n%", ["line\nmore"], ["line more"]),
        ("%.*%", ["a.*b"], ["ab"]),
    ],
)
def test_like_patterns(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    regex = like_regex(pattern)
    assert all(regex.fullmatch(m) for m in matching)
    assert not any(regex.fullmatch(m) for m in not_matching)
