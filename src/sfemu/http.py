"""Response helpers every sfemu route shares, so JSON and errors look like Salesforce's."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from sfemu.errors import SalesforceError

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Render ``data`` as Salesforce renders JSON (with its exact content type)."""
    return Response(
        orjson.dumps(data),
        status_code=status,
        headers=headers,
        media_type=JSON_CONTENT_TYPE,
    )


def error_response(error: SalesforceError, headers: dict[str, str] | None = None) -> Response:
    """Render a Salesforce REST error body with its HTTP status."""
    return json_response(error.rest_body(), status=error.status, headers=headers)


async def read_json(request: Request) -> Any:
    """Parse the request body as JSON or raise Salesforce's JSON_PARSER_ERROR."""
    raw = await request.body()
    return parse_json_bytes(raw)


def parse_json_bytes(raw: bytes) -> Any:
    """Parse bytes as JSON or raise Salesforce's JSON_PARSER_ERROR."""
    if not raw.strip():
        raise SalesforceError("JSON_PARSER_ERROR", "The request body is empty.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SalesforceError(
            "JSON_PARSER_ERROR",
            f"Unexpected character at [line:1, column:{exc.pos + 1}]",
        ) from exc
