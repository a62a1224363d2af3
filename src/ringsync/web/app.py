"""``create_app``: the ringsync web app (REST API, admin pages, static files), built per call.

Nothing is created at import time: settings, the store, the clock and the runner come in as
arguments, so tests and the CLI each build exactly the app they need. The OpenAPI document is
published at ``/api/v1/openapi.json``; the interactive docs UI stays off because FastAPI's one
loads its assets from a CDN, which the Content-Security-Policy (rightly) forbids.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import make_url

from ringsync import __version__
from ringsync.clock import Clock, SystemClock
from ringsync.errors import TooManyRequestsError
from ringsync.runtime.runner import Runner
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database
from ringsync.web.admin import STATIC_DIR, pages_router
from ringsync.web.api import API_PREFIX, api_router
from ringsync.web.body_limit import BodyLimit
from ringsync.web.context import SESSION_LIFETIME, WebContext
from ringsync.web.errors import ErrorBoundary, install_error_handlers
from ringsync.web.headers import SecurityHeaders
from ringsync.web.ratelimit import (
    STATE_ATTRIBUTE as RATE_LIMITS_ATTRIBUTE,
)
from ringsync.web.ratelimit import (
    LoginLimiter,
    RateLimits,
    on_too_many_requests,
)
from ringsync.web.security import Passwords, Signer, resolve_secret_key


def open_store(url: str) -> Database:
    """Open (and migrate) the store; a SQLite file's folder is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    return open_database(parsed)


def create_app(
    settings: Settings,
    *,
    session_factory: Database | None = None,
    clock: Clock | None = None,
    runner: Runner | None = None,
    password_hasher: PasswordHasher | None = None,
    login_limiter: LoginLimiter | None = None,
    rate_limits: RateLimits | None = None,
    session_lifetime: timedelta = SESSION_LIFETIME,
) -> FastAPI:
    """Build the web app; a missing secret key outside demo mode stops here with a ConfigError."""
    secret_key = resolve_secret_key(settings)
    owns_database = session_factory is None
    database = session_factory or open_store(settings.database_url)
    the_clock = clock or SystemClock()
    ctx = WebContext(
        settings=settings,
        database=database,
        clock=the_clock,
        signer=Signer(secret_key),
        passwords=Passwords(password_hasher),
        login_limiter=login_limiter or LoginLimiter(the_clock),
        runner=runner,
        session_lifetime=session_lifetime,
    )
    owns_limits = rate_limits is None
    limits = rate_limits or RateLimits.from_settings(settings, the_clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_limits:
            limits.close()
        if owns_database:
            database.dispose()

    app = FastAPI(
        title="ringsync",
        version=__version__,
        description="Contacts, users and activity events of a contact center, kept in sync "
        "with Salesforce.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.ringsync = ctx
    setattr(app.state, RATE_LIMITS_ATTRIBUTE, limits)
    install_error_handlers(app)
    app.add_exception_handler(TooManyRequestsError, on_too_many_requests)
    app.include_router(api_router())
    app.include_router(pages_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Added last = outermost: every response, the generic 500 included, gets the headers.
    app.add_middleware(BodyLimit)
    app.add_middleware(ErrorBoundary)
    app.add_middleware(SecurityHeaders)
    return app


__all__ = ["create_app", "open_store"]
