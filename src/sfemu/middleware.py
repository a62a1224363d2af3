"""The edge of the emulator: auth, API usage and limits, statistics and fault injection.

A pure ASGI middleware (no request objects, no body buffering) so it stays cheap at tens of
thousands of records per second. For every ``/services/data/vXX.X/...`` request it:

1. authenticates ``Authorization: Bearer|OAuth <token>`` (401 INVALID_SESSION_ID) and puts
   the caller's user id in ``scope["sfemu_user_id"]``;
2. serves ``/services/data/latest/...`` as the newest version (the path is rewritten, so
   URLs in responses name the real version) and answers unknown versions with 404 NOT_FOUND;
3. enforces the daily API limit (403 REQUEST_LIMIT_EXCEEDED) and counts the call;
4. applies the fault rules that fire for the call;
5. adds ``Sforce-Limit-Info: api-usage=N/M`` to the response and counts the endpoint.

Any exception that escapes after a response started is logged and swallowed, so clients
never see a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfemu.errors import SalesforceError, invalid_session, not_found
from sfemu.faults import FaultRule
from sfemu.state import API_VERSIONS, LATEST_VERSION, EmulatorState

log = logging.getLogger("sfemu")

DATA_PREFIX = "/services/data/"
VERSIONS = frozenset(f"v{v}" for v in API_VERSIONS)
JSON_TYPE = b"application/json;charset=UTF-8"
LATEST_ALIAS = "latest"


def resolve_latest(path: str) -> str:
    """Return ``path`` with a ``/services/data/latest`` prefix naming the newest version."""
    alias = DATA_PREFIX + LATEST_ALIAS
    if path == alias or path.startswith(alias + "/"):
        return f"{DATA_PREFIX}v{LATEST_VERSION}{path[len(alias) :]}"
    return path


class DroppedConnectionError(ConnectionError):
    """Raised in process (no socket to close) where a real server would drop the connection."""


def request_limit_exceeded() -> SalesforceError:
    """Return the daily API limit error."""
    return SalesforceError(
        "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403, include_fields=False
    )


def server_unavailable() -> SalesforceError:
    """Return the 503 error of an overloaded or unavailable server."""
    return SalesforceError(
        "SERVER_UNAVAILABLE",
        "Server unavailable, please try again later.",
        status=503,
        include_fields=False,
    )


def unknown_exception() -> SalesforceError:
    """Return the 500 error Salesforce gives for an internal failure."""
    return SalesforceError(
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234567890-00000 (-1)",
        status=500,
        include_fields=False,
    )


async def send_error(send: Send, error: SalesforceError, extra: list[tuple[bytes, bytes]]) -> None:
    """Send a Salesforce REST error response straight over ASGI."""
    import orjson  # local: keeps module import light for the CLI

    body = orjson.dumps(error.rest_body())
    headers = [
        (b"content-type", JSON_TYPE),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class EmulatorMiddleware:
    """Authenticate, meter, fault and count every REST data call."""

    def __init__(
        self,
        app: ASGIApp,
        state: EmulatorState,
        data_routes: Callable[[], list[BaseRoute]] | None = None,
    ) -> None:
        """Wrap ``app``; ``data_routes`` lists the routes mounted under /services/data/{version}."""
        self.app = app
        self.state = state
        self._data_routes = data_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(DATA_PREFIX + LATEST_ALIAS):
            resolved = resolve_latest(path)
            if resolved != path:
                path = resolved
                scope = {**scope, "path": path, "raw_path": path.encode()}
        if path.startswith(DATA_PREFIX) and len(path) > len(DATA_PREFIX):
            await self._data_call(scope, receive, send, path)
        else:
            await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except DroppedConnectionError:
            raise
        except Exception:
            log.exception("sfemu: unhandled error serving %s", scope.get("path"))
            if not started:
                await send_error(send, unknown_exception(), [])

    async def _data_call(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        state = self.state
        rest = path[len(DATA_PREFIX) :]
        version, _, remainder = rest.partition("/")
        org = state.org
        now = org.now()
        token = _token(scope)
        session = state.tokens.validate(token, now) if token else None
        if session is None:
            await send_error(send, invalid_session(), [])
            return
        if version not in VERSIONS:
            await send_error(send, not_found(), [])
            return
        scope["sfemu_user_id"] = session.user_id
        stats = state.stats
        stats.roll_window(now)
        limit = org.daily_api_limit
        if stats.daily_used >= limit:
            header = _limit_header(stats.daily_used, limit)
            await send_error(send, request_limit_exceeded(), [header])
            return
        method: str = scope["method"]
        stats.count_call(method)
        drop = False
        if state.faults.active:
            endpoint = self._endpoint_before(scope, remainder)
            targets = (endpoint, remainder, path) if endpoint else (remainder, path)
            fired = state.faults.triggered(method, targets)
            if any(rule.kind == "latency" for rule in fired):
                # The request has fully arrived before the wait, as at a real server: a client
                # that times out meanwhile does not stop the call from being applied.
                receive = await _buffer_body(receive)
            for rule in fired:
                outcome = await self._apply(rule, token or "", scope)
                if isinstance(outcome, SalesforceError):
                    header = _limit_header(stats.daily_used, org.daily_api_limit)
                    await send_error(send, outcome, [header])
                    return
                drop = drop or outcome
        if drop:
            await self._drop_after_write(scope, receive, send)
        else:
            await self._serve(scope, receive, send)
        route = scope.get("route")
        if route is not None and not isinstance(route, Mount):
            stats.count_endpoint(method, endpoint_name(str(getattr(route, "path", ""))))

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        stats = self.state.stats
        org = self.state.org

        async def limit_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append(_limit_header(stats.daily_used, org.daily_api_limit))
                message = {**message, "headers": headers}
            await send(message)

        await self._guarded(scope, receive, limit_send)

    async def _apply(self, rule: FaultRule, token: str, scope: Scope) -> SalesforceError | bool:
        kind = rule.kind
        if kind == "latency":
            await asyncio.sleep(rule.latency_ms / 1000)
            return False
        if kind == "drop_after_write":
            return True
        if kind == "http_500":
            return unknown_exception()
        if kind == "http_503":
            return server_unavailable()
        if kind == "request_limit":
            return request_limit_exceeded()
        if kind == "session_expiry":
            self.state.tokens.expire(token)
            scope.pop("sfemu_user_id", None)
            return invalid_session()
        return False

    async def _drop_after_write(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(_message: Message) -> None:
            return None

        await self._guarded(scope, receive, swallow)
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:
            raise DroppedConnectionError("sfemu dropped the connection after the write (fault)")
        transport.close()
        # Wait for uvicorn to notice the disconnect, so it sends nothing on our behalf.
        try:
            async with asyncio.timeout(2):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            log.warning("sfemu: connection did not close after a dropped write")

    def _endpoint_before(self, scope: Scope, remainder: str) -> str | None:
        if self._data_routes is None:
            return None
        probe: dict[str, Any] = {
            "type": "http",
            "path": "/" + remainder,
            "root_path": "",
            "method": scope["method"],
        }
        for route in self._data_routes():
            match, _ = route.matches(probe)
            if match is not Match.NONE:
                return endpoint_name(str(getattr(route, "path", "")))
        return None


async def _buffer_body(receive: Receive) -> Receive:
    """Read the whole request body now; return a receive that replays it, then goes live."""
    chunks: list[bytes] = []
    pending: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            pending.append(message)
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    replay: list[Message] = [
        {"type": "http.request", "body": b"".join(chunks), "more_body": False},
        *pending,
    ]

    async def replayed() -> Message:
        if replay:
            return replay.pop(0)
        return await receive()

    return replayed


def endpoint_name(route_path: str) -> str:
    """Return a route's template relative to the API version ("sobjects/{sobject}/{id}")."""
    if route_path.startswith("/services/data/{version}"):
        route_path = route_path[len("/services/data/{version}") :]
    return route_path.strip("/") or "resources"


def _token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, token = text.partition(" ")
            if scheme.lower() in ("bearer", "oauth") and token.strip():
                return token.strip()
            return None
    return None


def _limit_header(used: int, limit: int) -> tuple[bytes, bytes]:
    return (b"sforce-limit-info", f"api-usage={used}/{limit}".encode())
