"""One error tree for ringsync, grouped by what the caller does with each branch.

RingsyncError
├── ConfigError            an operator must fix something; nothing runs (CLI exit 2, API 422)
│   ├── ValidationError    input that breaks a rule; carries every problem at once
│   ├── MappingError       a field mapping that cannot work
│   └── AuthError          Salesforce credentials rejected even after a refresh
├── TransientError         retry with backoff; fails only when attempts run out
│   ├── RateLimitedError   the API budget or Salesforce's limit says wait
│   │   └── TooManyRequestsError  ringsync's own rate limit refused a request (429, Retry-After)
│   └── UnavailableError   5xx, timeouts, dropped connections
├── NotFoundError          one of our own objects does not exist in the account
├── RecordError            this one record cannot sync; logged, the run goes on
│   ├── RecordRejectedError  Salesforce refused the record (400 with field errors)
│   ├── DuplicateRecordError several records match one key
│   └── RecordNotFoundError  the record is gone (404 NOT_FOUND / ENTITY_IS_DELETED)
└── FatalSyncError         stop the run and do not advance cursors
    └── UnexpectedResponseError  Salesforce answered in a way we do not understand
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and why."""

    field: str
    reason: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        """Return the problem as plain JSON-ready data."""
        return {"field": self.field, "reason": self.reason, "code": self.code}


class RingsyncError(Exception):
    """Root of every error ringsync raises on purpose."""

    code = "error"

    def __init__(self, message: str, **context: Any) -> None:
        """Keep a human message and context (ids, status, error code; never secrets)."""
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        """Return the human message."""
        return self.message


class ConfigError(RingsyncError):
    """An operator must fix something before anything can run."""

    code = "config_error"


class ValidationError(ConfigError):
    """Input breaks one or more rules; every problem is reported at once."""

    code = "validation_error"

    def __init__(self, message: str, problems: list[Problem] | None = None, **context: Any) -> None:
        """Keep the list of problems beside the summary message."""
        super().__init__(message, **context)
        self.problems: list[Problem] = list(problems or [])


class MappingError(ConfigError):
    """A field mapping that cannot work against the org."""

    code = "mapping_error"


class AuthError(ConfigError):
    """Salesforce refused our credentials even after a refresh."""

    code = "auth_error"


class TransientError(RingsyncError):
    """A failure that may pass; retry with backoff."""

    code = "transient_error"


class RateLimitedError(TransientError):
    """An API budget says wait before the next call."""

    code = "rate_limited"


class TooManyRequestsError(RateLimitedError):
    """ringsync's own rate limit refused a request; the caller waits ``retry_after`` seconds."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, **context: Any) -> None:
        """Keep the whole seconds the caller should wait before trying again."""
        super().__init__(message, **context)
        self.retry_after = retry_after


class UnavailableError(TransientError):
    """The other side is down, slow or dropped the connection."""

    code = "unavailable"


class NotFoundError(RingsyncError):
    """One of our own objects does not exist in the account asked about (API 404)."""

    code = "not_found"


class RecordError(RingsyncError):
    """One record cannot sync; the run continues without it."""

    code = "record_error"


class RecordRejectedError(RecordError):
    """Salesforce refused one record."""

    code = "record_rejected"


class DuplicateRecordError(RecordError):
    """Several records match one key; a human must choose."""

    code = "duplicate_record"


class RecordNotFoundError(RecordError):
    """The record does not exist or sits in the recycle bin."""

    code = "record_not_found"


class FatalSyncError(RingsyncError):
    """Stop the run and keep the cursors where they are."""

    code = "fatal_sync_error"


class UnexpectedResponseError(FatalSyncError):
    """Salesforce answered with a status or body we cannot interpret."""

    code = "unexpected_response"


@dataclass
class ErrorReport:
    """A user-facing error: stable code, human message, field details."""

    code: str
    message: str
    problems: list[Problem] = field(default_factory=list)


__all__ = [
    "AuthError",
    "ConfigError",
    "DuplicateRecordError",
    "ErrorReport",
    "FatalSyncError",
    "MappingError",
    "NotFoundError",
    "Problem",
    "RateLimitedError",
    "RecordError",
    "RecordNotFoundError",
    "RecordRejectedError",
    "RingsyncError",
    "TooManyRequestsError",
    "TransientError",
    "UnavailableError",
    "UnexpectedResponseError",
    "ValidationError",
]
