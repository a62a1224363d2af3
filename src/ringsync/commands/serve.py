"""``ringsync serve``: run the web app and REST API with uvicorn, and the runner beside it."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from ringsync.errors import ConfigError
from ringsync.logs import configure_logging
from ringsync.runtime.serving import create_product_app
from ringsync.runtime.wiring import build_product
from ringsync.settings import load_settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the admin pages and the REST API (settings come from RINGSYNC_* variables)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        product = build_product(settings)
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        typer.echo(f"Error: cannot open the database: {type(exc).__name__}", err=True)
        raise typer.Exit(2) from None
    try:
        try:
            app = create_product_app(product)
        except ConfigError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
        # Our logging set-up stays in charge (phone masking); the access log would record query
        # strings, which can hold phone numbers, so it stays off. The app's lifespan starts and
        # stops the runner (embedded threads by default; with Celery, workers run the tasks).
        uvicorn.run(
            app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True
        )
    finally:
        product.close()
