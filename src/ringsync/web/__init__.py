"""The web layer: REST API, admin pages and their security (sessions, CSRF, tokens, headers)."""

from __future__ import annotations

from ringsync.web.app import create_app

__all__ = ["create_app"]
