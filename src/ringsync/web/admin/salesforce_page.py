"""The Salesforce tab (admins only): the whole page, and each section alone for live refresh.

The page reads through the domain services; every change goes through the admin REST API
(``/api/v1/admin``) from static/salesforce.js with the session's ``X-CSRF-Token``, and the
script then fetches the changed section again from ``/salesforce/sections/<name>`` so that one
template renders each section, on first load and after every change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ringsync.web.admin.activity_view import LogFilters, activity_view
from ringsync.web.admin.connection_view import connection_view
from ringsync.web.admin.page_kit import PageKit
from ringsync.web.admin.settings_view import DIRECTION_LABELS, settings_view
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, Principal

SECTIONS = ("connection", "settings", "mapping", "operations", "users", "logs")
_Filter = Annotated[str, Query(max_length=40)]


def _filters(
    action: str, sobject: str, direction: str, contact: str, record: str, run: str
) -> LogFilters:
    return LogFilters(
        action=action.strip(),
        sobject=sobject.strip(),
        direction=direction.strip(),
        contact=contact.strip(),
        record=record.strip(),
        run=run.strip(),
    )


def _sections(ctx: WebContext, principal: Principal, filters: LogFilters) -> dict[str, Any]:
    with ctx.database.read() as session:
        return {
            "connection": connection_view(session, principal.account_id),
            "settings": settings_view(session, principal.account_id),
            "activity": activity_view(session, principal.account_id, ctx.clock.now(), filters),
            "direction_labels": DIRECTION_LABELS,
            "sections": SECTIONS,
        }


def salesforce_router(kit: PageKit) -> APIRouter:
    """Return the routes of the Salesforce tab."""
    router = APIRouter(include_in_schema=False)

    @router.get("/salesforce", response_class=HTMLResponse)
    def salesforce_page(
        request: Request,
        ctx: ContextDep,
        action: _Filter = "",
        sobject: _Filter = "",
        direction: _Filter = "",
        contact: _Filter = "",
        record: _Filter = "",
        run: _Filter = "",
    ) -> Response:
        principal = kit.admin(ctx, request)
        if not isinstance(principal, Principal):
            return principal
        context = kit.page_context(ctx, principal, "Salesforce")
        context.update(
            _sections(ctx, principal, _filters(action, sobject, direction, contact, record, run))
        )
        return kit.render(request, "salesforce/page.html", context)

    @router.get("/admin/salesforce")
    def old_address(request: Request) -> Response:
        # The OAuth callback of the admin API sends the browser here after "Connect".
        query = request.url.query
        return RedirectResponse(f"/salesforce{'?' + query if query else ''}", status_code=303)

    @router.get("/salesforce/sections/{name}", response_class=HTMLResponse)
    def salesforce_section(
        name: str,
        request: Request,
        ctx: ContextDep,
        action: _Filter = "",
        sobject: _Filter = "",
        direction: _Filter = "",
        contact: _Filter = "",
        record: _Filter = "",
        run: _Filter = "",
    ) -> Response:
        principal = kit.admin(ctx, request)
        if not isinstance(principal, Principal):
            return principal
        if name not in SECTIONS:
            return kit.error_page(request, 404, "This page has no such section.", "Not found")
        context = kit.page_context(ctx, principal, "Salesforce")
        context.update(
            _sections(ctx, principal, _filters(action, sobject, direction, contact, record, run))
        )
        return kit.render(request, f"salesforce/{name}.html", context)

    return router


__all__ = ["SECTIONS", "salesforce_router"]
