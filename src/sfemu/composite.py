"""Composite (/composite) and composite batch (/composite/batch) over an in-process dispatcher."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from sfemu.errors import SalesforceError
from sfemu.http import json_response, read_json
from sfemu.journal import JournalScope
from sfemu.middleware import resolve_latest
from sfemu.records import org_of

log = logging.getLogger("sfemu")

MAX_SUBREQUESTS = 25
# Of a /composite call's subrequests, at most this many may be queries or sObject Collections.
MAX_HEAVY_SUBREQUESTS = 5
_HEAVY_PATH = re.compile(
    r"^/services/data/v[\d.]+/(?:query|queryall|composite/sobjects)(?:[/?]|$)", re.IGNORECASE
)
SUBREQUEST_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"})
HALTED_MESSAGE = (
    "The transaction was rolled back since another operation in the same transaction failed."
)
BATCH_HALTED_MESSAGE = "Batch processing halted per request"
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_PATH_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
_SCOPE_DROP = ("path_params", "endpoint", "route", "app_root_path")


@dataclass
class SubResponse:
    """What one internal request answered."""

    status: int
    body: Any
    headers: dict[str, str]


def _error_body(code: str, message: str) -> list[dict[str, Any]]:
    return [{"errorCode": code, "message": message}]


def _normalize_url(url: str) -> str:
    """Return a /services/data/vXX.X/... path (with query) for a subrequest url."""
    parts = urlsplit(url)
    path = parts.path
    if not path.startswith("/"):
        path = "/services/data/" + path
    path = resolve_latest(path)
    if not path.startswith("/services/data/v"):
        raise SalesforceError("INVALID_BATCH_REQUEST", f"The url {url} is not a valid REST API url")
    return path + (f"?{parts.query}" if parts.query else "")


async def dispatch(
    request: Request, method: str, url: str, body: Any, headers: dict[str, str] | None = None
) -> SubResponse:
    """Run one REST request through the app's router, without HTTP and without the middleware."""
    try:
        target = _normalize_url(url)
    except SalesforceError as exc:
        return SubResponse(exc.status, exc.rest_body(), {})
    path, _, query = target.partition("?")
    if re.match(r"^/services/data/v[\d.]+/composite(/batch)?/?$", path):
        return SubResponse(
            400,
            _error_body("INVALID_BATCH_REQUEST", "Composite requests cannot be nested"),
            {},
        )
    raw = b"" if body is None else orjson.dumps(body)
    scope: dict[str, Any] = {k: v for k, v in request.scope.items() if k not in _SCOPE_DROP}
    sub_headers = [
        (k, v)
        for k, v in request.scope.get("headers", [])
        if k.lower() not in (b"content-length", b"content-type", b"sforce-query-options")
    ]
    sub_headers.append((b"content-type", b"application/json"))
    sub_headers.append((b"content-length", str(len(raw)).encode()))
    for name, value in (headers or {}).items():
        sub_headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    scope.update(
        {
            "type": "http",
            "method": method.upper(),
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": sub_headers,
        }
    )
    sent = False
    messages: list[Message] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    try:
        await request.app.router(scope, receive, send)
    except SalesforceError as exc:
        return SubResponse(exc.status, exc.rest_body(), {})
    except HTTPException as exc:
        return _http_error(method, exc)
    except Exception:
        # One crashing subrequest answers 500 like Salesforce; the others still run.
        log.exception("sfemu: %s subrequest to %s failed", method.upper(), path)
        return SubResponse(
            500, _error_body("UNKNOWN_EXCEPTION", "An unexpected error occurred"), {}
        )
    return _collect(messages)


def _http_error(method: str, exc: HTTPException) -> SubResponse:
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return SubResponse(
            405,
            _error_body(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method.upper()}' not allowed. Allowed are {allowed}",
            ),
            {},
        )
    return SubResponse(
        404 if exc.status_code == 404 else exc.status_code,
        _error_body("NOT_FOUND", "The requested resource does not exist"),
        {},
    )


def _collect(messages: list[Message]) -> SubResponse:
    status = 500
    headers: dict[str, str] = {}
    chunks: list[bytes] = []
    content_type = ""
    for message in messages:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for key, value in message.get("headers", []):
                name = key.decode("latin-1").lower()
                if name == "location":
                    headers["Location"] = value.decode("latin-1")
                elif name == "content-type":
                    content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
    raw = b"".join(chunks)
    if not raw:
        return SubResponse(status, None, headers)
    if "json" in content_type:
        return SubResponse(status, orjson.loads(raw), headers)
    if status == 404:
        return SubResponse(
            404, _error_body("NOT_FOUND", "The requested resource does not exist"), headers
        )
    return SubResponse(status, raw.decode("utf-8", "replace"), headers)


# --- references ----------------------------------------------------------------------------


class UnresolvedReferenceError(Exception):
    """A @{ref.path} that names no earlier successful subrequest value."""

    def __init__(self, expression: str, reference_id: str) -> None:
        """Keep the expression and the reference id it pointed to."""
        super().__init__(expression)
        self.expression = expression
        self.reference_id = reference_id

    def body(self) -> list[dict[str, Any]]:
        """Return the PROCESSING_HALTED body Salesforce answers for it."""
        return _error_body(
            "PROCESSING_HALTED",
            f"Invalid reference specified. No value for {self.expression} found in "
            f"{self.reference_id}. Provided referenceId ('{self.reference_id}') was either "
            "invalid or its subrequest failed.",
        )


def _resolve(match: re.Match[str], outputs: dict[str, Any]) -> Any:
    ref, path = match.group(1), match.group(2)
    expression = ref + path
    if ref not in outputs:
        raise UnresolvedReferenceError(expression, ref)
    value = outputs[ref]
    for step in _PATH_STEP.finditer(path):
        key, index = step.group(1), step.group(2)
        if key is not None and isinstance(value, dict):
            found = next((v for k, v in value.items() if k.lower() == key.lower()), _MISSING)
            value = found
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            value = _MISSING
        if value is _MISSING:
            raise UnresolvedReferenceError(expression, ref)
    return value


_MISSING = object()


def substitute(value: Any, outputs: dict[str, Any]) -> Any:
    """Replace every @{ref.path} inside strings of ``value`` by the referenced result."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _resolve(whole, outputs)
        return _REFERENCE.sub(lambda m: str(_resolve(m, outputs)), value)
    if isinstance(value, list):
        return [substitute(v, outputs) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, outputs) for k, v in value.items()}
    return value


# --- /composite ----------------------------------------------------------------------------


def _subrequests(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise SalesforceError("JSON_PARSER_ERROR", f"The request body must contain a {key} array.")
    items: list[Any] = body[key]
    if not items:
        raise SalesforceError("INVALID_BATCH_REQUEST", f"{key} must not be empty")
    if len(items) > MAX_SUBREQUESTS:
        raise SalesforceError(
            "LIMIT_EXCEEDED",
            f"Exceeded max limit of subrequests allowed, max is {MAX_SUBREQUESTS}",
        )
    for item in items:
        if not isinstance(item, dict) or not item.get("method") or not item.get("url"):
            raise SalesforceError(
                "INVALID_BATCH_REQUEST", "Each subrequest needs a method and a url"
            )
        method = str(item["method"]).upper()
        if method not in SUBREQUEST_METHODS:
            raise SalesforceError(
                "INVALID_BATCH_REQUEST", f"Unsupported method in a subrequest: {item['method']}"
            )
        _normalize_url(str(item["url"]))
    return items


def _halted(reference_id: str) -> dict[str, Any]:
    return {
        "body": _error_body("PROCESSING_HALTED", HALTED_MESSAGE),
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    }


async def composite(request: Request) -> Response:
    """Answer POST /composite: run subrequests in order with references; always 200."""
    body = await read_json(request)
    items = _subrequests(body, "compositeRequest")
    seen: set[str] = set()
    for item in items:
        ref = item.get("referenceId")
        if not isinstance(ref, str) or not ref or ref in seen:
            raise SalesforceError(
                "INVALID_BATCH_REQUEST", "Each subrequest needs a unique referenceId"
            )
        seen.add(ref)
    heavy = sum(1 for item in items if _HEAVY_PATH.match(_normalize_url(str(item["url"]))))
    if heavy > MAX_HEAVY_SUBREQUESTS:
        raise SalesforceError(
            "LIMIT_EXCEEDED",
            "Exceeded max limit of query and sObject Collections subrequests allowed, "
            f"max is {MAX_HEAVY_SUBREQUESTS}",
        )
    all_or_none = bool(body.get("allOrNone", False))
    outputs: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    with JournalScope(request, needed=all_or_none) as journal:
        failed_at: int | None = None
        for index, item in enumerate(items):
            ref = item["referenceId"]
            try:
                url = substitute(item["url"], outputs)
                sub_body = substitute(item.get("body"), outputs)
            except UnresolvedReferenceError as exc:
                results.append(
                    {
                        "body": exc.body(),
                        "httpHeaders": {},
                        "httpStatusCode": 400,
                        "referenceId": ref,
                    }
                )
                if all_or_none:
                    failed_at = index
                    break
                continue
            sub = await dispatch(
                request, str(item["method"]), str(url), sub_body, item.get("httpHeaders")
            )
            results.append(
                {
                    "body": sub.body,
                    "httpHeaders": sub.headers,
                    "httpStatusCode": sub.status,
                    "referenceId": ref,
                }
            )
            if sub.status < 400:
                outputs[ref] = sub.body
            elif all_or_none:
                failed_at = index
                break
        if failed_at is not None:
            journal.rollback(org_of(request))
            results = [
                r if i == failed_at else _halted(r["referenceId"]) for i, r in enumerate(results)
            ]
            results.extend(_halted(item["referenceId"]) for item in items[failed_at + 1 :])
    return json_response({"compositeResponse": results})


# --- /composite/batch ----------------------------------------------------------------------


async def batch(request: Request) -> Response:
    """Answer POST /composite/batch: independent subrequests; haltOnError stops with 412s."""
    body = await read_json(request)
    items = _subrequests(body, "batchRequests")
    halt_on_error = bool(body.get("haltOnError", False))
    results: list[dict[str, Any]] = []
    halted = False
    for item in items:
        if halted:
            results.append(
                {
                    "statusCode": 412,
                    "result": _error_body("BATCH_PROCESSING_HALTED", BATCH_HALTED_MESSAGE),
                }
            )
            continue
        sub = await dispatch(request, str(item["method"]), str(item["url"]), item.get("richInput"))
        results.append({"statusCode": sub.status, "result": sub.body})
        if sub.status >= 400 and halt_on_error:
            halted = True
    has_errors = any(r["statusCode"] >= 400 for r in results)
    return json_response({"hasErrors": has_errors, "results": results})
