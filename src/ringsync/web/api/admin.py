"""The admin API under ``/api/v1/admin``: every route needs a signed-in admin of the account."""

from __future__ import annotations

from fastapi import APIRouter

from ringsync.web.api.admin_failed_records import router as failed_records
from ringsync.web.api.admin_health import router as health
from ringsync.web.api.admin_integration import router as integration
from ringsync.web.api.admin_mappings import router as mappings
from ringsync.web.api.admin_operations import router as operations
from ringsync.web.api.admin_provenance import router as provenance
from ringsync.web.api.admin_settings import router as settings
from ringsync.web.api.admin_sync_log import router as sync_log

ADMIN_PREFIX = "/admin"


def admin_router() -> APIRouter:
    """Return a router holding every admin resource under ``/admin``."""
    router = APIRouter(prefix=ADMIN_PREFIX)
    for routes in (
        integration,
        settings,
        mappings,
        operations,
        sync_log,
        failed_records,
        health,
        provenance,
    ):
        router.include_router(routes)
    return router


__all__ = ["ADMIN_PREFIX", "admin_router"]
