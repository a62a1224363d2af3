"""Start a Celery worker or beat for ringsync: ``python -m ringsync.runtime.worker worker``.

The app is built by the factory at start-up (no import-time singleton). ``--registry`` names
a ``module:function`` that returns the TaskRegistry to serve; by default the standard one.
Arguments this entry does not know are passed to Celery (for example ``--pool=solo``).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

from ringsync.errors import ConfigError
from ringsync.logs import configure_logging
from ringsync.runtime.celery_app import create_celery_app
from ringsync.runtime.tasks import TaskRegistry
from ringsync.settings import load_settings

DEFAULT_REGISTRY = "ringsync.runtime.tasks:create_registry"


def load_registry(spec: str) -> TaskRegistry:
    """Import ``module:function`` and call it to get the registry."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"--registry must look like module:function, got {spec!r}")
    try:
        factory: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load registry factory {spec!r}: {exc}") from exc
    registry = factory()
    if not isinstance(registry, TaskRegistry):
        raise ConfigError(f"{spec} returned {type(registry).__name__}, not a TaskRegistry")
    return registry


def build_parser() -> argparse.ArgumentParser:
    """Describe the options this entry understands before handing the rest to Celery."""
    parser = argparse.ArgumentParser(prog="python -m ringsync.runtime.worker")
    parser.add_argument("command", choices=["worker", "beat"])
    parser.add_argument("--registry", default=DEFAULT_REGISTRY)
    parser.add_argument("--key-prefix", default=None)
    parser.add_argument("--queue", default="ringsync")
    parser.add_argument("--poll-every", type=float, default=30.0)
    parser.add_argument("--lease-ttl", type=float, default=60.0)
    parser.add_argument("--visibility-timeout", type=float, default=3600.0)
    parser.add_argument("--restore-interval", type=float, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build the app from the environment's settings and run the Celery command.

    ringsync logging (one format, phone numbers masked) is set up before Celery starts.
    """
    options, celery_args = build_parser().parse_known_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_celery_app(
        settings,
        registry=load_registry(options.registry),
        queue=options.queue,
        key_prefix=options.key_prefix,
        poll_every_seconds=options.poll_every,
        lease_ttl_seconds=options.lease_ttl,
        visibility_timeout_seconds=options.visibility_timeout,
        restore_interval_seconds=options.restore_interval,
    )
    if options.command == "worker":
        celery_args = ["-Q", options.queue, *celery_args]
    code = app.start([options.command, *celery_args])
    return int(code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
