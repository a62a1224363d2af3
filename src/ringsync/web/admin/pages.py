"""The pages: sign-in, contacts (agents and admins) and the Salesforce tab (admins only).

Pages need a session cookie; API tokens do not open them. An anonymous visitor gets the sign-in
page with status 401, an agent on an admin page gets 403. Every form that changes something
carries an anti-forgery token: the sign-in form's is bound to a short-lived pre-sign-in cookie
(so a hostile site cannot sign a victim in to the attacker's account), the sign-out form's to
the session. No inline scripts or styles: the Content-Security-Policy allows only our files.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ringsync.domain.contacts import ContactView, find_contact_by_phone, list_contacts
from ringsync.errors import RingsyncError, ValidationError
from ringsync.web.admin.contact_page import contact_router
from ringsync.web.admin.page_kit import SIGNIN_CSRF, STATIC_DIR, TEMPLATES_DIR, PageKit
from ringsync.web.admin.salesforce_page import salesforce_router
from ringsync.web.api.contacts import decode_cursor, encode_cursor
from ringsync.web.deps import ContextDep, session_principal
from ringsync.web.errors import NotSignedInError, TooManyAttemptsError, status_of
from ringsync.web.headers import is_https
from ringsync.web.sessions import (
    PRESIGNIN_PURPOSE,
    clear_session_cookie,
    client_address,
    presignin_cookie_name,
    set_session_cookie,
    sign_in,
    sign_out,
)

PAGE_SIZE = 50


def pages_router() -> APIRouter:
    """Return the router of the HTML pages (left out of the OpenAPI document)."""
    router = APIRouter(include_in_schema=False)
    kit = PageKit()
    sign_in_page = kit.sign_in_page
    error_page = kit.error_page
    page_context = kit.page_context
    render = kit.render

    @router.get("/")
    def home() -> Response:
        return RedirectResponse("/contacts", status_code=303)

    @router.get("/sign-in", response_class=HTMLResponse)
    def show_sign_in(request: Request, ctx: ContextDep) -> Response:
        if session_principal(ctx, request) is not None:
            return RedirectResponse("/contacts", status_code=303)
        return sign_in_page(ctx, request)

    @router.post("/sign-in", response_class=HTMLResponse)
    def submit_sign_in(
        request: Request,
        ctx: ContextDep,
        email: Annotated[str, Form(max_length=320)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        account_id: Annotated[str, Form(max_length=20)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        signed = request.cookies.get(presignin_cookie_name(request))
        binding = ctx.signer.unsign(PRESIGNIN_PURPOSE, signed) if signed else None
        if binding is None or not ctx.signer.check_mac(SIGNIN_CSRF, binding, csrf_token):
            return sign_in_page(
                ctx, request, status=403, email=email, error="The form expired. Please try again."
            )
        if not email or not password:
            return sign_in_page(
                ctx, request, status=422, email=email, error="Enter your email and password."
            )
        account = int(account_id) if account_id.strip().isdigit() else None
        try:
            signed_in = sign_in(
                ctx,
                email=email,
                password=password,
                account_id=account,
                address=client_address(request),
            )
        except (NotSignedInError, TooManyAttemptsError, ValidationError) as exc:
            message = exc.problems[0].reason if isinstance(exc, ValidationError) else exc.message
            headers = exc.response_headers() if isinstance(exc, TooManyAttemptsError) else None
            return sign_in_page(
                ctx, request, status=status_of(exc), email=email, error=message, headers=headers
            )
        response = RedirectResponse("/contacts", status_code=303)
        set_session_cookie(ctx, request, response, signed_in.secret)
        response.delete_cookie(
            presignin_cookie_name(request), path="/", secure=is_https(request.scope), httponly=True
        )
        return response

    @router.post("/sign-out")
    def submit_sign_out(
        request: Request,
        ctx: ContextDep,
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        principal = session_principal(ctx, request)
        if principal is None or principal.session_secret is None:
            return RedirectResponse("/sign-in", status_code=303)
        if not ctx.signer.check_csrf(principal.session_secret, csrf_token):
            return error_page(request, 403, "The form expired. Reload the page and try again.")
        sign_out(ctx, principal.session_secret)
        response = RedirectResponse("/sign-in", status_code=303)
        clear_session_cookie(request, response)
        return response

    @router.get("/contacts", response_class=HTMLResponse)
    def contacts_page(
        request: Request,
        ctx: ContextDep,
        phone: Annotated[str | None, Query(max_length=64)] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        principal = session_principal(ctx, request)
        if principal is None:
            return sign_in_page(ctx, request, status=401)
        context = page_context(ctx, principal, "Contacts")
        contacts: list[ContactView] = []
        next_cursor: str | None = None
        problem: str | None = None
        try:
            with ctx.database.read() as session:
                if phone:
                    found = find_contact_by_phone(session, principal.account_id, phone)
                    contacts = [] if found is None else [found]
                else:
                    after = decode_cursor(cursor) if cursor else 0
                    page = list_contacts(
                        session, principal.account_id, after_id=after, limit=PAGE_SIZE + 1
                    )
                    contacts = page[:PAGE_SIZE]
                    if len(page) > PAGE_SIZE:
                        next_cursor = encode_cursor(contacts[-1].id)
        except RingsyncError as exc:
            problem = exc.problems[0].reason if isinstance(exc, ValidationError) else exc.message
        context.update(
            contacts=contacts, next_cursor=next_cursor, phone=phone or "", problem=problem
        )
        return render(request, "contacts.html", context, 422 if problem else 200)

    router.include_router(salesforce_router(kit))
    router.include_router(contact_router(kit))
    return router


__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "pages_router"]
