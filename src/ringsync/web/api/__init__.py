"""The REST API under ``/api/v1``: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from ringsync.web.api.admin import admin_router
from ringsync.web.api.auth import router as session_routes
from ringsync.web.api.contacts import router as contact_routes
from ringsync.web.api.events import router as event_routes
from ringsync.web.api.tokens import router as token_routes
from ringsync.web.api.users import router as user_routes

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """Return a router holding every resource's routes under ``/api/v1``."""
    router = APIRouter(prefix=API_PREFIX)
    for routes in (session_routes, contact_routes, event_routes, token_routes, user_routes):
        router.include_router(routes)
    router.include_router(admin_router())
    return router


__all__ = ["API_PREFIX", "api_router"]
