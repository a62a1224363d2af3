"""A one-shot local redirect target for signing in from the command line (RFC 8252 loopback).

The listener binds 127.0.0.1 only, answers ``GET /callback`` once and hands its query back to
the caller; anything else gets a 404. It never logs a request: the query carries the one-time
authorization code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

LOOPBACK_HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
REQUEST_TIMEOUT_SECONDS = 10.0
PAGE = (
    "<!doctype html><meta charset=utf-8><title>ringsync</title>"
    "<p>ringsync received the Salesforce sign-in. "
    "You can close this tab and go back to the terminal.</p>"
)


@dataclass(frozen=True)
class Callback:
    """The query the browser brought back: ``state`` plus ``code`` or ``error``."""

    params: Mapping[str, str] = field(repr=False)

    def get(self, name: str) -> str | None:
        """Return the parameter's first value, or None if the callback lacked it."""
        return self.params.get(name)


class _Server(HTTPServer):
    received: Callback | None = None


class _Handler(BaseHTTPRequestHandler):
    """Serve the redirect: keep the first callback's query, answer with a short page."""

    server: _Server
    timeout = REQUEST_TIMEOUT_SECONDS  # a stalled connection cannot hold the wait forever

    def do_GET(self) -> None:
        """Keep the callback's query (first one wins) or answer 404 for any other path."""
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._answer(404, "<!doctype html><title>ringsync</title><p>Not found.</p>")
            return
        if self.server.received is None:
            query = parse_qs(parts.query, keep_blank_values=True)
            self.server.received = Callback({k: v[0] for k, v in query.items()})
        self._answer(200, PAGE)

    def _answer(self, status: int, html: str) -> None:
        body = html.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing: the request line carries the authorization code."""


class CallbackListener:
    """Listen on 127.0.0.1 for the one redirect back from the authorize page."""

    def __init__(self, port: int = 0) -> None:
        """Bind ``127.0.0.1:port`` (a free port when 0); raise OSError if it cannot."""
        self._server = _Server((LOOPBACK_HOST, port), _Handler)

    @property
    def port(self) -> int:
        """Return the bound port."""
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """Return the redirect URI to register with the authorize request."""
        return f"http://{LOOPBACK_HOST}:{self.port}{CALLBACK_PATH}"

    def wait(self, timeout: float) -> Callback | None:
        """Serve requests until the callback arrives; return None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self._server.received is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._server.timeout = remaining
            self._server.handle_request()
        return self._server.received

    def close(self) -> None:
        """Stop listening."""
        self._server.server_close()

    def __enter__(self) -> CallbackListener:
        """Return the listener for a ``with`` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the listener."""
        self.close()


__all__ = ["CALLBACK_PATH", "Callback", "CallbackListener"]
