"""One JSON error shape for every failure, and a boundary that hides unexpected ones.

Every error body is ``{"error": {"code", "message", "details": [{"field", "reason", "code"}],
"correlation_id"}}``. Deliberate errors (the RingsyncError tree) keep their message; validation
lists every problem at once; anything unexpected becomes a generic 500 whose correlation id
matches one log line naming the exception type and the code location, never its message (which
could hold a token, a phone number or a SOQL query).
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringsync.errors import (
    ConfigError,
    FatalSyncError,
    NotFoundError,
    Problem,
    RateLimitedError,
    RecordError,
    RingsyncError,
    TransientError,
    ValidationError,
)
from ringsync.logs import mask_phones

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
correlation_id: ContextVar[str] = ContextVar("ringsync_correlation_id", default="")
GENERIC_MESSAGE = (
    "something went wrong on our side; nothing secret was exposed. "
    "Quote the correlation id when you report it"
)


class WebError(RingsyncError):
    """An error the web layer raises itself, with its HTTP status."""

    status = 400

    def response_headers(self) -> dict[str, str] | None:
        """Return headers the response must carry (none by default)."""
        return None


class NotSignedInError(WebError):
    """No valid session cookie or API token came with the request."""

    code = "not_signed_in"
    status = 401

    def response_headers(self) -> dict[str, str] | None:
        """Tell API clients which scheme to authenticate with."""
        return {"WWW-Authenticate": 'Bearer realm="ringsync"'}


class ForbiddenError(WebError):
    """The caller is known but its role does not allow this."""

    code = "forbidden"
    status = 403


class CsrfError(WebError):
    """A cookie-authenticated change came without a valid anti-forgery token."""

    code = "csrf_failed"
    status = 403


class ConflictError(WebError):
    """The request contradicts what is already stored (for example a reused idempotency key)."""

    code = "conflict"
    status = 409


class TooManyAttemptsError(WebError):
    """Too many failed attempts; wait before the next one."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, retry_after: int, **context: Any) -> None:
        """Keep the number of seconds the client should wait."""
        super().__init__(message, **context)
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str] | None:
        """Tell the client how long to wait."""
        return {"Retry-After": str(self.retry_after)}


def status_of(exc: RingsyncError) -> int:
    """Return the HTTP status for a deliberate error."""
    if isinstance(exc, WebError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, RateLimitedError):
        return 429
    if isinstance(exc, TransientError):
        return 503
    if isinstance(exc, ConfigError | RecordError):
        return 422
    if isinstance(exc, FatalSyncError):
        return 502
    return 400


def error_body(
    code: str, message: str, details: Sequence[Problem] = (), cid: str | None = None
) -> dict[str, Any]:
    """Build the one error shape."""
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [p.as_dict() for p in details],
            "correlation_id": cid if cid is not None else correlation_id.get(),
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a JSON response in the one error shape."""
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _field_of(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def problems_of(exc: RequestValidationError) -> list[Problem]:
    """Turn FastAPI's validation errors into problems (field, reason, code)."""
    problems: list[Problem] = []
    for error in exc.errors():
        reason = str(error.get("msg", "is not valid"))
        problems.append(Problem(_field_of(error.get("loc", ())), reason, str(error.get("type"))))
    return problems


async def _on_ringsync_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RingsyncError)
    problems = exc.problems if isinstance(exc, ValidationError) else []
    headers = exc.response_headers() if isinstance(exc, WebError) else None
    if isinstance(exc, NotSignedInError | ForbiddenError | CsrfError | TooManyAttemptsError):
        log.warning("refused %s %s: %s", request.method, mask_phones(request.url.path), exc.code)
    return error_response(status_of(exc), exc.code, exc.message, problems, headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "validation_error", "the request is not valid", problems_of(exc))


_HTTP_CODES = {401: "not_signed_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


async def _on_http_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "the request failed"
    if exc.status_code == 404:
        message = "nothing here: check the path"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, message, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that render deliberate errors in the one shape."""
    app.add_exception_handler(RingsyncError, _on_ringsync_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[::-1])


class ErrorBoundary:
    """Give every request a correlation id and turn unexpected exceptions into a generic 500."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; on an unexpected exception answer 500 and log where it happened."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = self._incoming(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = cid
        reset = correlation_id.set(cid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the boundary: nothing unexpected may leak out
            log.error(  # the traceback text could hold secrets; log frames only
                "unexpected %s in %s %s (correlation id %s) at %s",
                type(exc).__name__,
                scope.get("method", ""),
                mask_phones(str(scope.get("path", ""))),
                cid,
                _where(exc),
            )
            if not started:
                response = JSONResponse(error_body("internal_error", GENERIC_MESSAGE, (), cid), 500)
                await response(scope, receive, send_with_id)
        finally:
            correlation_id.reset(reset)

    @staticmethod
    def _incoming(scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                text = value.decode("latin-1")
                return text if _INCOMING_ID.match(text) else None
        return None


__all__ = [
    "CORRELATION_HEADER",
    "ConflictError",
    "CsrfError",
    "ErrorBoundary",
    "ForbiddenError",
    "NotSignedInError",
    "TooManyAttemptsError",
    "WebError",
    "correlation_id",
    "error_body",
    "error_response",
    "install_error_handlers",
    "problems_of",
    "status_of",
]
