"""Run an ASGI app under uvicorn in a background thread (tests, the demo, the CLI).

The listening socket is bound before the thread starts, so ``port=0`` yields a free port
that is known at once and cannot be taken by someone else in between.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from sfemu.tls import CertificateFiles, make_certificates

STARTUP_TIMEOUT_SECONDS = 15.0


@dataclass
class RunningServer:
    """A server running in a daemon thread; ``stop()`` shuts it down."""

    base_url: str
    host: str
    port: int
    ca_path: Path | None
    certificates: CertificateFiles | None
    _server: EmbeddedServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread, and close the socket."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> RunningServer:
        """Return the running server for a ``with`` block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server at the end of a ``with`` block."""
        self.stop()


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that closes every connection when it stops, idle TLS ones included.

    Plain uvicorn asks idle keep-alive connections to close and waits; a TLS connection whose
    client never answers the close_notify would outlive the event loop and leak its socket.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Abort idle connections at once, shut down the rest gracefully, then abort leftovers."""
        self._abort_connections(idle_only=True)
        await super().shutdown(sockets)
        self._abort_connections(idle_only=False)
        for _ in range(3):
            await asyncio.sleep(0)

    def _abort_connections(self, *, idle_only: bool) -> None:
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            busy = cycle is not None and not getattr(cycle, "response_complete", True)
            transport = getattr(connection, "transport", None)
            if transport is not None and not (idle_only and busy):
                transport.abort()


def url_host(host: str) -> str:
    """Return how ``host`` appears in a URL (wildcards become loopback, IPv6 in brackets)."""
    if host in ("0.0.0.0", ""):  # noqa: S104 -- comparing, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a TCP socket (IPv4 or IPv6 by the host's form) without listening yet."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it small responses can wait ~40 ms for delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def start_server(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls: bool = False,
    cert_dir: Path | str | None = None,
    log_level: str = "warning",
) -> RunningServer:
    """Serve ``app`` in a daemon thread and return once it accepts connections.

    With ``tls`` a fresh CA and a localhost certificate are written to ``cert_dir`` (a temp
    directory when None); trust ``ca_path`` from the returned object.
    """
    sock = bind_socket(host, port)
    bound_port: int = sock.getsockname()[1]
    certificates = make_certificates(cert_dir) if tls else None
    config = uvicorn.Config(
        app,
        host=host,
        port=bound_port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        ssl_certfile=str(certificates.cert_path) if certificates else None,
        ssl_keyfile=str(certificates.key_path) if certificates else None,
        timeout_graceful_shutdown=2,
    )
    server = EmbeddedServer(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sfemu-{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"the emulator server on {host}:{bound_port} failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the emulator server on {host}:{bound_port} did not start in time")
        time.sleep(0.01)
    scheme = "https" if tls else "http"
    return RunningServer(
        base_url=f"{scheme}://{url_host(host)}:{bound_port}",
        host=host,
        port=bound_port,
        ca_path=certificates.ca_path if certificates else None,
        certificates=certificates,
        _server=server,
        _thread=thread,
        _socket=sock,
    )
