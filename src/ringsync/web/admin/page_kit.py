"""What every page route shares: the templates, the sign-in and error pages, the page context.

Pages need a session cookie; API tokens do not open them. An anonymous visitor gets the sign-in
page with status 401, an agent on an admin page gets the 403 page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ringsync.domain.users import get_user
from ringsync.web.context import WebContext
from ringsync.web.deps import Principal, session_principal
from ringsync.web.headers import is_https
from ringsync.web.security import new_secret
from ringsync.web.sessions import PRESIGNIN_PURPOSE, presignin_cookie_name

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
SIGNIN_CSRF = "signin-csrf"
_PRESIGNIN_SECONDS = 3600


class PageKit:
    """Render templates and the shared pages (sign-in, error) for the page routers."""

    def __init__(self, templates: Jinja2Templates | None = None) -> None:
        """Load the templates folder unless templates are given."""
        self.templates = templates or Jinja2Templates(directory=TEMPLATES_DIR)

    def render(
        self, request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        """Render one template as the response."""
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def sign_in_page(
        self,
        ctx: WebContext,
        request: Request,
        *,
        status: int = 200,
        error: str | None = None,
        email: str = "",
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """Render the sign-in form bound to a short-lived pre-sign-in cookie."""
        signed = request.cookies.get(presignin_cookie_name(request))
        binding = (signed and ctx.signer.unsign(PRESIGNIN_PURPOSE, signed)) or new_secret()
        context = {
            "title": "Sign in",
            "error": error,
            "email": email,
            "csrf_token": ctx.signer.mac(SIGNIN_CSRF, binding),
        }
        response = self.render(request, "sign_in.html", context, status)
        response.set_cookie(
            presignin_cookie_name(request),
            ctx.signer.sign(PRESIGNIN_PURPOSE, binding),
            max_age=_PRESIGNIN_SECONDS,
            path="/",
            secure=is_https(request.scope),
            httponly=True,
            samesite="lax",
        )
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def error_page(
        self, request: Request, status: int, message: str, title: str = "Not allowed"
    ) -> HTMLResponse:
        """Render the error page with a message the visitor can act on."""
        return self.render(request, "error.html", {"title": title, "message": message}, status)

    def page_context(self, ctx: WebContext, principal: Principal, title: str) -> dict[str, Any]:
        """Return what the base layout needs: title, user, role and the anti-forgery token."""
        assert principal.user_id is not None
        assert principal.session_secret is not None
        with ctx.database.read() as session:
            user = get_user(session, principal.account_id, principal.user_id)
        return {
            "title": title,
            "user": user,
            "is_admin": principal.is_admin,
            "csrf_token": ctx.signer.csrf_token(principal.session_secret),
        }

    def signed_in(self, ctx: WebContext, request: Request) -> Principal | HTMLResponse:
        """Return the signed-in person, or the sign-in page (401) to send back."""
        principal = session_principal(ctx, request)
        if principal is None:
            return self.sign_in_page(ctx, request, status=401)
        return principal

    def admin(self, ctx: WebContext, request: Request) -> Principal | HTMLResponse:
        """Return the signed-in admin, or the page to send back (sign-in 401, refusal 403)."""
        principal = self.signed_in(ctx, request)
        if isinstance(principal, Principal) and not principal.is_admin:
            return self.error_page(
                request, 403, "Only an admin of this account can open this page."
            )
        return principal


__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "PageKit"]
