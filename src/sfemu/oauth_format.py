"""Token endpoint response encodings: JSON (the default), form-urlencoded or XML.

Salesforce lets the caller choose with a ``format`` parameter (``json``, ``urlencoded``,
``xml``) or, without it, with the ``Accept`` header; errors come back in the same encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from starlette.responses import Response

from sfemu.http import json_response

FORMATS = ("json", "urlencoded", "xml")
_ACCEPTED = {
    "application/json": "json",
    "application/x-www-form-urlencoded": "urlencoded",
    "application/xml": "xml",
    "text/xml": "xml",
}
_CONTENT_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded;charset=UTF-8",
    "xml": "application/xml;charset=UTF-8",
}


def token_format(params: Mapping[str, str], accept: str | None) -> str:
    """Return the encoding a token request asks for: ``format`` first, then ``Accept``."""
    chosen = params.get("format", "").strip().lower()
    if chosen in FORMATS:
        return chosen
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in _ACCEPTED:
            return _ACCEPTED[media]
    return "json"


def _text(value: Any) -> str:
    """Return a body value as text (booleans as JSON spells them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def token_response(body: Mapping[str, Any], fmt: str, status: int = 200) -> Response:
    """Render a token endpoint body (a grant or an error) in the chosen encoding."""
    if fmt == "urlencoded":
        text = urlencode([(key, _text(value)) for key, value in body.items()])
    elif fmt == "xml":
        items = "".join(f"<{key}>{escape(_text(value))}</{key}>" for key, value in body.items())
        text = f'<?xml version="1.0" encoding="UTF-8"?><OAuth>{items}</OAuth>'
    else:
        return json_response(dict(body), status=status)
    return Response(text, status_code=status, headers={"Content-Type": _CONTENT_TYPES[fmt]})
