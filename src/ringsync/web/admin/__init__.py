"""Admin and agent pages: server-rendered Jinja2 templates and static files served by ringsync."""

from __future__ import annotations

from ringsync.web.admin.pages import STATIC_DIR, pages_router

__all__ = ["STATIC_DIR", "pages_router"]
