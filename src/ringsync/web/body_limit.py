"""Refuse request bodies over a size limit early, with a 413 in the one error shape.

A declared ``Content-Length`` over the limit is refused before the app runs. A body sent without
one (chunked) is gathered here as it arrives and refused as soon as it passes the limit, so at
most the limit is ever held in memory; a body within it is handed on unchanged.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringsync.web.errors import WebError, error_response

MAX_BODY_BYTES = 1_000_000


class BodyTooLargeError(WebError):
    """The request body is larger than the app accepts."""

    code = "too_large"
    status = 413


def _too_large(limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"the request body is too large: send at most {limit:,} bytes per request", limit=limit
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Cap the size of every request body (``max_bytes``, 1 MB by default)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        """Wrap ``app``."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared oversize body at once; gather an undeclared one up to the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server stops reading at Content-Length
            return
        body = bytearray()
        while True:  # no declared length (chunked): gather the body, refusing it past the limit
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = _too_large(self.max_bytes)
        response = error_response(error.status, error.code, error.message)
        await response(scope, receive, send)


__all__ = ["MAX_BODY_BYTES", "BodyLimit", "BodyTooLargeError"]
