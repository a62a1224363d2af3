"""Decide what a Salesforce error means from ONE table keyed by HTTP status and errorCode.

Every failed response (and every dropped connection or timeout) is classified here, so the
client has no scattered ``if status == ...`` branches. A rule names the ringsync error class
to raise and the action the request path takes:

- ``retry_backoff``: wait with full jitter and try again (bounded by the RetryPolicy);
- ``pause_budget``: stop now and tell the API budget that Salesforce refused for the day;
- ``refresh_once``: get a new access token (single-flight) and repeat the call once;
- ``no_retry``: raise at once; the record or the configuration must change first.

Lookup order: ``(status, code)``, then ``(None, code)`` (the code alone decides), then
``(status, None)``, then the status class (4xx / 5xx).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ringsync.errors import (
    AuthError,
    ConfigError,
    DuplicateRecordError,
    FatalSyncError,
    MappingError,
    RateLimitedError,
    RecordNotFoundError,
    RecordRejectedError,
    RingsyncError,
    UnavailableError,
    UnexpectedResponseError,
)

# Pseudo statuses for failures that never produced an HTTP response.
TIMEOUT = 0
CONNECTION_ERROR = -1


class Action(Enum):
    """What the request path does after a failure."""

    RETRY_BACKOFF = "retry_backoff"
    PAUSE_BUDGET = "pause_budget"
    REFRESH_ONCE = "refresh_once"
    NO_RETRY = "no_retry"


@dataclass(frozen=True)
class Rule:
    """One row of the error table: which error to raise and what to do about it."""

    error: type[RingsyncError]
    action: Action
    hint: str = ""


_RETRY = Action.RETRY_BACKOFF
_NO = Action.NO_RETRY

# Salesforce codes that mean "this record's data is wrong"; the record must change first.
DATA_ERROR_CODES: tuple[str, ...] = (
    "REQUIRED_FIELD_MISSING",
    "STRING_TOO_LONG",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "INVALID_EMAIL_ADDRESS",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "FIELD_INTEGRITY_EXCEPTION",
    "INVALID_CROSS_REFERENCE_KEY",
    "INACTIVE_OWNER_OR_USER",
    "DUPLICATE_VALUE",
    "DUPLICATES_DETECTED",
    "CANNOT_UPDATE_CONVERTED_LEAD",
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
    "INVALID_TYPE_ON_FIELD_IN_RECORD",
    "MALFORMED_ID",
    "JSON_PARSER_ERROR",
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "PROCESSING_HALTED",
    "INSUFFICIENT_ACCESS_OR_READONLY",
    "ENTITY_IS_LOCKED",
    "DELETE_FAILED",
)

ERROR_TABLE: dict[tuple[int | None, str | None], Rule] = {
    # Session and access.
    (401, "INVALID_SESSION_ID"): Rule(
        AuthError, Action.REFRESH_ONCE, "Reconnect Salesforce on the Salesforce tab."
    ),
    (401, None): Rule(
        AuthError, Action.REFRESH_ONCE, "Reconnect Salesforce on the Salesforce tab."
    ),
    (403, "REQUEST_LIMIT_EXCEEDED"): Rule(
        RateLimitedError, Action.PAUSE_BUDGET, "Background sync resumes when API usage falls."
    ),
    (403, "API_DISABLED_FOR_ORG"): Rule(
        ConfigError, _NO, "The Salesforce edition or the user's profile has no API access."
    ),
    (403, "API_CURRENTLY_DISABLED"): Rule(
        ConfigError, _NO, "Enable 'API Enabled' on the integration user's profile."
    ),
    (403, "INSUFFICIENT_ACCESS"): Rule(
        ConfigError, _NO, "Grant the integration user access to this object."
    ),
    (403, None): Rule(ConfigError, _NO, "Check the integration user's permissions."),
    (429, None): Rule(RateLimitedError, _RETRY, "Salesforce asked us to slow down."),
    # Transient trouble on Salesforce's side or on the way there.
    (None, "UNABLE_TO_LOCK_ROW"): Rule(UnavailableError, _RETRY, "Another process holds the row."),
    (None, "SERVER_UNAVAILABLE"): Rule(UnavailableError, _RETRY),
    (TIMEOUT, None): Rule(UnavailableError, _RETRY, "Salesforce did not answer in time."),
    (CONNECTION_ERROR, None): Rule(UnavailableError, _RETRY, "The connection dropped."),
    (500, None): Rule(UnavailableError, _RETRY),
    (502, None): Rule(UnavailableError, _RETRY),
    (503, None): Rule(UnavailableError, _RETRY),
    (504, None): Rule(UnavailableError, _RETRY),
    # Record-level outcomes.
    (300, None): Rule(
        DuplicateRecordError, _NO, "Several Salesforce records share this external id."
    ),
    (404, "NOT_FOUND"): Rule(RecordNotFoundError, _NO),
    (None, "ENTITY_IS_DELETED"): Rule(
        RecordNotFoundError, _NO, "The record is in the recycle bin."
    ),
    (404, None): Rule(RecordNotFoundError, _NO),
    # Mapping and query problems: our request is wrong for this org.
    (None, "INVALID_FIELD"): Rule(MappingError, _NO, "A mapped field does not exist in this org."),
    (None, "INVALID_FIELD_FOR_INSERT_UPDATE"): Rule(
        MappingError, _NO, "A mapped field is read-only for the integration user."
    ),
    (None, "INVALID_TYPE"): Rule(MappingError, _NO, "The object does not exist in this org."),
    (None, "MALFORMED_QUERY"): Rule(FatalSyncError, _NO),
    (None, "QUERY_TIMEOUT"): Rule(UnavailableError, _NO, "Narrow the query or use Bulk API."),
    (None, "INVALID_QUERY_LOCATOR"): Rule(FatalSyncError, _NO, "The query cursor expired."),
    (None, "INVALID_REPLICATION_DATE"): Rule(FatalSyncError, _NO),
    (None, "EXCEEDED_ID_LIMIT"): Rule(FatalSyncError, _NO),
    (None, "JOB_NOT_COMPLETE"): Rule(UnavailableError, _RETRY),
    (400, None): Rule(RecordRejectedError, _NO),
}
ERROR_TABLE.update({(None, code): Rule(RecordRejectedError, _NO) for code in DATA_ERROR_CODES})

# A run of 7+ digits (with phone punctuation) not glued to letters: likely a phone number.
_PHONE_LIKE = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d ().-]{5,}\d(?![A-Za-z0-9])")

_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")


def mask_phone_numbers(text: str) -> str:
    """Hide all but the last 4 digits of anything that looks like a phone number."""

    def _mask(match: re.Match[str]) -> str:
        text = match.group(0)
        digits = re.sub(r"\D", "", text)
        if len(digits) < 7 or _DATE_LIKE.fullmatch(text):
            return text
        return "***" + digits[-4:]

    return _PHONE_LIKE.sub(_mask, text)


def is_certificate_error(exc: BaseException) -> bool:
    """Tell whether a transport failure was a TLS certificate that did not verify."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def certificate_error(host: str, endpoint: str) -> ConfigError:
    """Return the error for a Salesforce host whose TLS certificate is not trusted."""
    return ConfigError(
        f"The TLS certificate of {host} is not trusted, so ringsync will not send credentials "
        "there. Check the Salesforce URL, or trust the certificate's CA (never disable checks).",
        url_host=host,
        endpoint=endpoint,
    )


def safe_message(message: str) -> str:
    """Return a Salesforce message fit to show: no echoed SOQL, no full phone numbers.

    SOQL errors echo the whole statement on the lines before the reason
    ("\\nSELECT ...\\n   ^\\nERROR at Row:1:Column:8\\nNo such column ..."); keep the reason.
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return mask_phone_numbers(text)


_FALLBACK_4XX = Rule(UnexpectedResponseError, _NO)
_FALLBACK_5XX = Rule(UnavailableError, _RETRY)
_FALLBACK_OTHER = Rule(UnexpectedResponseError, _NO)


def classify(status: int, code: str | None, message: str = "") -> Rule:
    """Return the rule for a failure with this status and Salesforce errorCode."""
    if code == "REQUEST_LIMIT_EXCEEDED" and "ConcurrentRequests" in message:
        # Too many long-running calls at once, not the daily allocation: back off and retry.
        return Rule(RateLimitedError, _RETRY, "Too many concurrent long-running requests.")
    for key in ((status, code), (None, code), (status, None)):
        rule = ERROR_TABLE.get(key)
        if rule is not None:
            return rule
    if 500 <= status < 600:
        return _FALLBACK_5XX
    if 400 <= status < 500:
        return _FALLBACK_4XX
    return _FALLBACK_OTHER


@dataclass(frozen=True)
class ApiErrorDetail:
    """One error item from a Salesforce body: code, message and the fields it names."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the detail as JSON-ready data."""
        return {"code": self.code, "message": self.message, "fields": list(self.fields)}


def parse_error_items(body: Any) -> list[ApiErrorDetail]:
    """Parse a REST or Collections error body (array of errors) into details.

    REST errors carry ``errorCode``; Collections results carry ``statusCode``; OAuth errors
    carry ``error`` and ``error_description``. Anything else yields no details.
    """
    items: list[Any]
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict):
        items = [body]
    else:
        return []
    details: list[ApiErrorDetail] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = item.get("errorCode") or item.get("statusCode") or item.get("error")
        message = item.get("message") or item.get("error_description") or ""
        fields = item.get("fields") or []
        if code is None:
            continue
        details.append(
            ApiErrorDetail(
                code=str(code),
                message=safe_message(str(message)),
                fields=tuple(str(f) for f in fields if isinstance(f, str)),
            )
        )
    return details


def build_error(
    rule: Rule,
    *,
    status: int,
    details: list[ApiErrorDetail],
    endpoint: str,
    sobject: str | None = None,
    record_ids: list[str] | None = None,
) -> RingsyncError:
    """Build the ringsync error for a failure: a safe message plus context, never a token."""
    first = details[0] if details else None
    code = first.code if first else None
    if first is not None:
        summary = f"{first.code}: {first.message}" if first.message else first.code
    elif status == TIMEOUT:
        summary = "Salesforce did not answer in time"
    elif status == CONNECTION_ERROR:
        summary = "the connection to Salesforce failed"
    else:
        summary = f"HTTP {status}"
    where = f" on {sobject}" if sobject else ""
    message = f"Salesforce call {endpoint}{where} failed: {summary}"
    if rule.hint:
        message = f"{message}. {rule.hint}"
    return rule.error(
        message,
        status=status,
        error_code=code,
        endpoint=endpoint,
        sobject=sobject,
        record_ids=list(record_ids or []),
        errors=[d.as_dict() for d in details],
        action=rule.action.value,
    )


__all__ = [
    "CONNECTION_ERROR",
    "DATA_ERROR_CODES",
    "ERROR_TABLE",
    "TIMEOUT",
    "Action",
    "ApiErrorDetail",
    "Rule",
    "build_error",
    "certificate_error",
    "classify",
    "is_certificate_error",
    "mask_phone_numbers",
    "parse_error_items",
    "safe_message",
]
