"""The error table: each (status, errorCode) maps to one error class and one action."""

from __future__ import annotations

import pytest

from ringsync.errors import (
    AuthError,
    ConfigError,
    DuplicateRecordError,
    FatalSyncError,
    MappingError,
    RateLimitedError,
    RecordNotFoundError,
    RecordRejectedError,
    UnavailableError,
    UnexpectedResponseError,
)
from ringsync.salesforce.responses import (
    CONNECTION_ERROR,
    TIMEOUT,
    Action,
    ApiErrorDetail,
    build_error,
    classify,
    mask_phone_numbers,
    parse_error_items,
    safe_message,
)

RETRY = Action.RETRY_BACKOFF
NO = Action.NO_RETRY


@pytest.mark.parametrize(
    ("status", "code", "error", "action"),
    [
        (401, "INVALID_SESSION_ID", AuthError, Action.REFRESH_ONCE),
        (401, None, AuthError, Action.REFRESH_ONCE),
        (403, "REQUEST_LIMIT_EXCEEDED", RateLimitedError, Action.PAUSE_BUDGET),
        (403, "API_DISABLED_FOR_ORG", ConfigError, NO),
        (403, None, ConfigError, NO),
        (429, None, RateLimitedError, RETRY),
        (500, "UNKNOWN_EXCEPTION", UnavailableError, RETRY),
        (500, None, UnavailableError, RETRY),
        (502, None, UnavailableError, RETRY),
        (503, "SERVER_UNAVAILABLE", UnavailableError, RETRY),
        (504, None, UnavailableError, RETRY),
        (599, None, UnavailableError, RETRY),
        (TIMEOUT, None, UnavailableError, RETRY),
        (CONNECTION_ERROR, None, UnavailableError, RETRY),
        (400, "UNABLE_TO_LOCK_ROW", UnavailableError, RETRY),
        (300, None, DuplicateRecordError, NO),
        (404, "NOT_FOUND", RecordNotFoundError, NO),
        (404, "ENTITY_IS_DELETED", RecordNotFoundError, NO),
        (400, "REQUIRED_FIELD_MISSING", RecordRejectedError, NO),
        (400, "STRING_TOO_LONG", RecordRejectedError, NO),
        (400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", RecordRejectedError, NO),
        (400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", RecordRejectedError, NO),
        (400, "DUPLICATE_VALUE", RecordRejectedError, NO),
        (400, "CANNOT_UPDATE_CONVERTED_LEAD", RecordRejectedError, NO),
        (400, "SOMETHING_NEW", RecordRejectedError, NO),
        (400, "INVALID_FIELD", MappingError, NO),
        (400, "INVALID_FIELD_FOR_INSERT_UPDATE", MappingError, NO),
        (400, "INVALID_TYPE", MappingError, NO),
        (400, "MALFORMED_QUERY", FatalSyncError, NO),
        (400, "INVALID_QUERY_LOCATOR", FatalSyncError, NO),
        (400, "QUERY_TIMEOUT", UnavailableError, NO),
        (412, "JOB_NOT_COMPLETE", UnavailableError, RETRY),
        (409, None, UnexpectedResponseError, NO),
        (302, None, UnexpectedResponseError, NO),
    ],
)
def test_error_table_row(
    status: int, code: str | None, error: type[Exception], action: Action
) -> None:
    rule = classify(status, code)
    assert rule.error is error
    assert rule.action is action


def test_concurrent_request_limit_backs_off_instead_of_pausing() -> None:
    message = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
    rule = classify(403, "REQUEST_LIMIT_EXCEEDED", message)
    assert rule.error is RateLimitedError
    assert rule.action is Action.RETRY_BACKOFF


def test_parse_rest_collections_and_oauth_error_bodies() -> None:
    rest = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    coll = [{"statusCode": "STRING_TOO_LONG", "message": "too long", "fields": ["LastName"]}]
    oauth = {"error": "invalid_grant", "error_description": "authentication failure"}
    assert parse_error_items(rest) == [
        ApiErrorDetail("INVALID_SESSION_ID", "Session expired or invalid")
    ]
    assert parse_error_items(coll) == [ApiErrorDetail("STRING_TOO_LONG", "too long", ("LastName",))]
    assert parse_error_items(oauth) == [ApiErrorDetail("invalid_grant", "authentication failure")]
    assert parse_error_items("<html>oops</html>") == []
    assert parse_error_items([1, {"message": "no code"}]) == []


def test_built_error_carries_context_and_a_safe_message() -> None:
    details = parse_error_items(
        [
            {
                "errorCode": "STRING_TOO_LONG",
                "message": "Phone: data value too large: +1 (415) 555-0100 ext 12345678",
                "fields": ["Phone"],
            }
        ]
    )
    error = build_error(
        classify(400, "STRING_TOO_LONG"),
        status=400,
        details=details,
        endpoint="sobjects/{sobject}/{id}",
        sobject="Lead",
        record_ids=["00Q000000000001AAA"],
    )
    assert isinstance(error, RecordRejectedError)
    assert error.context["status"] == 400
    assert error.context["error_code"] == "STRING_TOO_LONG"
    assert error.context["endpoint"] == "sobjects/{sobject}/{id}"
    assert error.context["record_ids"] == ["00Q000000000001AAA"]
    assert error.context["errors"][0]["fields"] == ["Phone"]
    assert "415" not in str(error)
    assert "***0100" in str(error)
    assert str(error).startswith("Salesforce call sobjects/{sobject}/{id} on Lead failed:")


def test_timeout_error_message_says_what_happened() -> None:
    error = build_error(classify(TIMEOUT, None), status=TIMEOUT, details=[], endpoint="query")
    assert "did not answer in time" in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 4155550100 now", "call ***0100 now"),
        ("+44 20 7946 0958", "***0958"),
        ("id 00QDn0000000001AAA", "id 00QDn0000000001AAA"),
        ("on 2026-01-15", "on 2026-01-15"),
        ("max length=40", "max length=40"),
    ],
)
def test_phone_numbers_are_masked_in_messages(text: str, expected: str) -> None:
    assert mask_phone_numbers(text) == expected


def test_safe_message_drops_echoed_soql_and_masks_numbers() -> None:
    message = (
        "\nSELECT Id FROM Lead WHERE Phone = '4155550100'\n       ^\n"
        "ERROR at Row:1:Column:8\nNo such column 'Nope' on entity 'Lead'."
    )
    assert safe_message(message) == "No such column 'Nope' on entity 'Lead'."
    assert safe_message("call 4155550100") == "call ***0100"
    assert safe_message("") == ""
