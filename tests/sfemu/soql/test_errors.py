"""Every compile-time error, with the exact code and message a Salesforce client sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sfemu.errors import SalesforceError

FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the entity "
    "name. Please reference your WSDL or the describe call for the appropriate names."
)
RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the "
    "custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


def error_of(compile_soql: Callable[..., Any], text: str) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        compile_soql(text)
    assert info.value.status == 400
    return info.value


def test_unknown_object_is_invalid_type_with_a_caret(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Leed")
    assert err.error_code == "INVALID_TYPE"
    assert err.message == (
        "\nSELECT Id FROM Leed\n"
        "               ^\n"
        "ERROR at Row:1:Column:16\n"
        f"sObject type 'Leed' is not supported. {OBJECT_HINT}"
    )
    assert err.rest_body() == [{"message": err.message, "errorCode": "INVALID_TYPE"}]


def test_unknown_field_is_invalid_field_with_a_caret(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id, LastNme FROM Lead")
    assert err.error_code == "INVALID_FIELD"
    assert err.message == (
        "\nSELECT Id, LastNme FROM Lead\n"
        "           ^\n"
        "ERROR at Row:1:Column:12\n"
        f"No such column 'LastNme' on entity 'Lead'. {FIELD_HINT}"
    )


@pytest.mark.parametrize(
    ("text", "column", "detail"),
    [
        (
            "SELECT Id FROM Lead WHERE Phon = 'x'",
            27,
            f"No such column 'Phon' on entity 'Lead'. {FIELD_HINT}",
        ),
        (
            "SELECT Id FROM Lead ORDER BY Phon",
            30,
            f"No such column 'Phon' on entity 'Lead'. {FIELD_HINT}",
        ),
        (
            "SELECT ConvertedAccount.Nam FROM Lead",
            8,
            f"No such column 'Nam' on entity 'Account'. {FIELD_HINT}",
        ),
        (
            "SELECT Owner.Emial FROM Lead",
            8,
            f"No such column 'Emial' on entity 'Name'. {FIELD_HINT}",
        ),
        (
            "SELECT Owner.Profile.Nam FROM Lead",
            8,
            f"No such column 'Nam' on entity 'Profile'. {FIELD_HINT}",
        ),
        (
            "SELECT Ownr.Email FROM Lead",
            8,
            f"Didn't understand relationship 'Ownr' in field path. {RELATIONSHIP_HINT}",
        ),
        (
            "SELECT OwnerId.Email FROM Lead",
            8,
            f"Didn't understand relationship 'OwnerId' in field path. {RELATIONSHIP_HINT}",
        ),
        (
            "SELECT COUNT(Emial) FROM Lead",
            14,
            f"No such column 'Emial' on entity 'Lead'. {FIELD_HINT}",
        ),
    ],
)
def test_unknown_names_in_every_clause(
    compile_soql: Callable[..., Any], text: str, column: int, detail: str
) -> None:
    err = error_of(compile_soql, text)
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith(f"ERROR at Row:1:Column:{column}\n{detail}")


@pytest.mark.parametrize(
    ("text", "field", "kind", "quoted"),
    [
        ("SELECT Id FROM Lead WHERE CreatedDate > '2026-01-01'", "CreatedDate", "dateTime", False),
        ("SELECT Id FROM Lead WHERE CreatedDate > 2026-01-01", "CreatedDate", "dateTime", False),
        ("SELECT Id FROM Lead WHERE ConvertedDate = '2026-01-01'", "ConvertedDate", "date", False),
        (
            "SELECT Id FROM Lead WHERE ConvertedDate = 2026-01-01T00:00:00Z",
            "ConvertedDate",
            "date",
            False,
        ),
        ("SELECT Id FROM Lead WHERE DoNotCall = 'true'", "DoNotCall", "boolean", False),
        ("SELECT Id FROM Lead WHERE DoNotCall = 1", "DoNotCall", "boolean", False),
        ("SELECT Id FROM Lead WHERE Score__c = '5'", "Score__c", "double", False),
        ("SELECT Id FROM Lead WHERE LastName = 5", "LastName", "string", True),
        ("SELECT Id FROM Lead WHERE LastName = true", "LastName", "string", True),
        ("SELECT Id FROM Lead WHERE LastName = TODAY", "LastName", "string", True),
        ("SELECT Id FROM Lead WHERE OwnerId = 5", "OwnerId", "id", True),
        ("SELECT Id FROM Lead WHERE CallTime__c = '10:00:00.000Z'", "CallTime__c", "time", False),
        ("SELECT Id FROM Lead WHERE Owner.IsActive = 'x'", "Owner.IsActive", "boolean", False),
        ("SELECT Id FROM Lead WHERE Status IN ('a', 2)", "Status", "string", True),
    ],
)
def test_values_of_the_wrong_type(
    compile_soql: Callable[..., Any], text: str, field: str, kind: str, quoted: bool
) -> None:
    err = error_of(compile_soql, text)
    assert err.error_code == "INVALID_FIELD"
    should = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    assert err.message.endswith(
        f"\nvalue of filter criterion for field '{field}' must be of type {kind} and {should}"
    )


def test_wrong_type_caret_points_at_the_value(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE CreatedDate >= '2026-01-01T00:00:00Z'")
    assert err.message == (
        "\nSELECT Id FROM Lead WHERE CreatedDate >= '2026-01-01T00:00:00Z'\n"
        + " " * 41
        + "^\nERROR at Row:1:Column:42\n"
        "value of filter criterion for field 'CreatedDate' must be of type dateTime "
        "and should not be enclosed in quotes"
    )


@pytest.mark.parametrize(
    ("text", "sequence"),
    [
        ("SELECT Id FROM Lead WHERE LastName = 'a\\qb'", "\\q"),
        ("SELECT Id FROM Lead WHERE LastName = '50\\%'", "\\%"),
        ("SELECT Id FROM Lead WHERE LastName LIKE 'a\\zb%'", "\\z"),
        ("SELECT Id FROM Lead WHERE Status IN ('a', 'b\\_')", "\\_"),
    ],
)
def test_bad_escapes_are_malformed(
    compile_soql: Callable[..., Any], text: str, sequence: str
) -> None:
    err = error_of(compile_soql, text)
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith(f"Illegal character sequence '{sequence}' in string literal.")


def test_like_escapes_are_allowed_in_like(compile_soql: Callable[..., Any]) -> None:
    assert compile_soql("SELECT Id FROM Lead WHERE LastName LIKE '50\\%\\_%'").columns == ["Id"]


def test_invalid_id_literal(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE OwnerId = 'not-an-id'")
    assert err.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert err.message.endswith("\ninvalid ID field: not-an-id")


def test_offset_above_2000(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead LIMIT 10 OFFSET 2001")
    assert err.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert err.message == "Maximum SOQL offset allowed is 2000"


@pytest.mark.parametrize(
    "text",
    ["SELECT FIELDS(ALL) FROM Lead", "SELECT FIELDS(CUSTOM) FROM Lead LIMIT 201"],
)
def test_fields_all_and_custom_need_a_small_limit(
    compile_soql: Callable[..., Any], text: str
) -> None:
    err = error_of(compile_soql, text)
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("\nThe SOQL FIELDS function must have a LIMIT of at most 200")


def test_duplicate_field(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id, LastName, lastname FROM Lead")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("ERROR at Row:1:Column:22\nduplicate field selected: LastName")


def test_count_with_other_fields(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT COUNT(), Id FROM Lead")
    assert err.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:17" in err.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("SELECT Id FROM Lead WHERE Score__c LIKE '1%'", "LIKE applies to text fields"),
        ("SELECT Id FROM Lead WHERE LastName INCLUDES ('a')", "INCLUDES and EXCLUDES"),
        ("SELECT Id FROM Lead WHERE DoNotCall > false", "'>' does not apply"),
        ("SELECT Id FROM Lead WHERE Interests__c < 'a'", "'<' does not apply"),
    ],
)
def test_operators_a_field_type_does_not_take(
    compile_soql: Callable[..., Any], text: str, fragment: str
) -> None:
    err = error_of(compile_soql, text)
    assert err.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert fragment in err.message


def test_like_needs_a_string(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE LastName LIKE 5")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("must be of type string and should be enclosed in quotes")


def test_field_that_cannot_be_filtered(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE Description = 'x'")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("\nfield 'Description' can not be filtered in a query call")


def test_field_that_cannot_be_sorted(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead ORDER BY Description")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("\nfield 'Description' can not be sorted in a query call")


def test_impossible_dates_are_malformed(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE ConvertedDate = 2026-02-30")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("\ninvalid date: 2026-02-30")
    err = error_of(compile_soql, "SELECT Id FROM Lead WHERE CreatedDate = 2026-01-01T25:00:00Z")
    assert err.message.endswith("\ninvalid date: 2026-01-01T25:00:00Z")


def test_multiline_query_errors_show_the_right_row(compile_soql: Callable[..., Any]) -> None:
    err = error_of(compile_soql, "SELECT Id\nFROM Lead\nWHERE Emial = null")
    assert err.message.startswith("\nWHERE Emial = null\n      ^\nERROR at Row:3:Column:7\n")


def test_object_that_is_not_queryable_is_invalid_type(
    compile_soql: Callable[..., Any], catalog: Any
) -> None:
    catalog.objects["account"].queryable = False
    err = error_of(compile_soql, "select Id from account")
    assert err.error_code == "INVALID_TYPE"
    assert err.message.endswith(f"\nsObject type 'account' is not supported. {OBJECT_HINT}")


def test_statement_longer_than_100000_characters(compile_soql: Callable[..., Any]) -> None:
    values = ", ".join(f"'{n:08d}'" for n in range(10_000))
    err = error_of(compile_soql, f"SELECT Id FROM Lead WHERE Phone IN ({values})")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == "SOQL statements cannot be longer than 100000 characters."
    fewer = ", ".join(f"'{n:08d}'" for n in range(8_000))
    assert compile_soql(f"SELECT Id FROM Lead WHERE Phone IN ({fewer})").columns == ["Id"]
