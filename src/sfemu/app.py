"""Build the emulator's ASGI application: routes, error rendering and the edge middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send

from sfemu.admin import admin_routes
from sfemu.errors import SalesforceError, not_found
from sfemu.faults import FaultPlan
from sfemu.http import error_response, json_response
from sfemu.listview_routes import listview_admin_routes
from sfemu.middleware import EmulatorMiddleware, unknown_exception
from sfemu.oauth import TokenStore
from sfemu.oauth_routes import oauth_routes
from sfemu.org import Org
from sfemu.soap import soap_routes
from sfemu.state import API_VERSIONS, EmulatorConfig, EmulatorState, base_url, emulator_state
from sfemu.stats import Stats

log = logging.getLogger("sfemu")

_SEASONS = ("Winter", "Spring", "Summer")
VERSION_RESOURCES = (
    "tooling",
    "metadata",
    "eclair",
    "folders",
    "prechatForms",
    "contact-tracing",
    "jsonxform",
    "chatter",
    "tabs",
    "appMenu",
    "quickActions",
    "queryAll",
    "commerce",
    "wave",
    "iot",
    "analytics",
    "search",
    "identity",
    "composite",
    "parameterizedSearch",
    "fingerprint",
    "theme",
    "nouns",
    "event-log-file",
    "serviceTemplates",
    "recent",
    "connect",
    "licensing",
    "limits",
    "process",
    "async-queries",
    "query",
    "jobs",
    "match",
    "emailConnect",
    "compactLayouts",
    "knowledgeManagement",
    "sobjects",
    "actions",
    "support",
)


def release_label(version: str) -> str:
    """Return the release name of an API version (59.0 -> "Winter '24")."""
    offset = int(float(version)) - 59
    return f"{_SEASONS[offset % 3]} '{24 + offset // 3:02d}"


async def list_versions(_request: Request) -> Response:
    """List the served API versions, oldest first (GET /services/data, no auth)."""
    return json_response(
        [
            {"label": release_label(v), "url": f"/services/data/v{v}", "version": v}
            for v in API_VERSIONS
        ]
    )


async def version_resources(request: Request) -> Response:
    """Return the resource map of one API version."""
    version = request.path_params["version"]
    prefix = f"/services/data/{version}"
    names = VERSION_RESOURCES
    body = {name: f"{prefix}/{name}" for name in names}
    org = emulator_state(request).org
    user_id = request.scope.get("sfemu_user_id", org.admin_user_id)
    body["identity"] = f"{base_url(request)}/id/{org.org_id}/{user_id}"
    return json_response(body)


async def _salesforce_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SalesforceError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        method = request.method
        return error_response(
            SalesforceError(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{method}' not allowed. Allowed are {allowed}",
                status=405,
                include_fields=False,
            )
        )
    if exc.status_code == 404:
        return error_response(not_found())
    return error_response(
        SalesforceError(
            "UNKNOWN_EXCEPTION", exc.detail, status=exc.status_code, include_fields=False
        )
    )


async def _unexpected_error(_request: Request, _exc: Exception) -> Response:
    return error_response(unknown_exception())


def data_routes() -> list[BaseRoute]:
    """Return the REST data and Bulk 2.0 routes (relative to /services/data/{version})."""
    routes: list[BaseRoute] = []
    try:
        from sfemu.rest import rest_routes
    except ImportError:
        log.warning("sfemu: REST data routes unavailable (sfemu.rest not importable)")
    else:
        routes.extend(rest_routes())
    try:
        from sfemu.bulk2 import bulk_routes
    except ImportError:
        log.warning("sfemu: Bulk 2.0 routes unavailable (sfemu.bulk2 not importable)")
    else:
        routes.extend(bulk_routes())
    return routes


class EmulatorApp(Starlette):
    """A Starlette app whose outermost layer is the emulator middleware.

    The middleware sits outside Starlette's own error middleware so that it sees the
    server's ``send`` (needed to drop a connection on purpose) and every response.
    """

    def __init__(
        self,
        state: EmulatorState,
        data_mount: Mount,
        routes: list[BaseRoute],
        exception_handlers: dict[Any, ExceptionHandler],
    ) -> None:
        """Build the Starlette app and wrap it in the emulator middleware."""
        super().__init__(routes=routes, exception_handlers=exception_handlers)
        self.state.sfemu = state
        mount_routes: Callable[[], list[BaseRoute]] = lambda: data_mount.routes  # noqa: E731
        self._edge: ASGIApp = EmulatorMiddleware(self._inner, state, mount_routes)

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Starlette.__call__(self, scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI scope through the middleware."""
        await self._edge(scope, receive, send)


def create_emulator_app(
    org: Org | None = None, *, config: EmulatorConfig | None = None
) -> EmulatorApp:
    """Create an emulator over ``org`` (a fresh org with default contents when None)."""
    if org is None:
        org = Org()
    state = EmulatorState(
        org=org,
        config=config or EmulatorConfig(),
        stats=Stats(),
        faults=FaultPlan(),
        tokens=TokenStore(org.org_id),
    )
    data_mount = Mount("/services/data/{version}", routes=data_routes())
    routes: list[BaseRoute] = [
        Route("/services/data", list_versions, methods=["GET"]),
        Route("/services/data/", list_versions, methods=["GET"]),
        Route("/services/data/{version}", version_resources, methods=["GET"]),
        Route("/services/data/{version}/", version_resources, methods=["GET"]),
        data_mount,
        *oauth_routes(),
        *soap_routes(),
        *admin_routes(),
        *listview_admin_routes(),
    ]
    return EmulatorApp(
        state,
        data_mount,
        routes=routes,
        exception_handlers={
            SalesforceError: _salesforce_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )
