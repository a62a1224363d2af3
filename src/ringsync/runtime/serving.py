"""Serve the product: the web app whose start-up starts the runner and whose shutdown stops it.

``create_app`` knows nothing of process lifetime; here its lifespan is wrapped so the embedded
runner's threads live exactly as long as the server (a Celery runner's start and stop do
nothing). The app and the engine share one Salesforce access, so both see the same clients.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from ringsync.runtime.runner import Runner
from ringsync.runtime.wiring import Product
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE
from ringsync.web.app import create_app

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 30.0


def attach_runner(
    app: FastAPI, runner: Runner, *, stop_timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """Start ``runner`` when ``app`` starts and stop it (gracefully) when ``app`` shuts down."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(the_app: Any) -> AsyncIterator[Any]:
        runner.start()
        try:
            async with inner(the_app) as state:
                yield state
        finally:
            ended = await run_in_threadpool(runner.stop, stop_timeout)
            if not ended:
                logger.warning("the runner did not stop within %.0f s", stop_timeout)

    app.router.lifespan_context = lifespan


def create_product_app(product: Product) -> FastAPI:
    """Build the web app over the product's store, clock, runner and Salesforce access."""
    app = create_app(
        product.settings,
        session_factory=product.database,
        clock=product.clock,
        runner=product.runner,
    )
    setattr(app.state, STATE_ATTRIBUTE, product.access)
    attach_runner(app, product.runner)
    return app


__all__ = ["attach_runner", "create_product_app"]
