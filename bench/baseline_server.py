"""A server that does no work: it returns a fixed page and fixed collection results.

It is the floor a benchmark compares sfemu with: the same HTTP stack and the same bytes on the
wire, without any query, sort or validation.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(page: bytes) -> Starlette:
    """Return the baseline app serving ``page`` for every GET."""

    async def get_page(_: Request) -> Response:
        return Response(page, media_type="application/json;charset=UTF-8")

    async def patch_records(request: Request) -> Response:
        body = orjson.loads(await request.body())
        results = [{"id": r.get("id"), "success": True, "errors": []} for r in body["records"]]
        return Response(orjson.dumps(results), media_type="application/json;charset=UTF-8")

    return Starlette(
        routes=[
            Route("/page", get_page, methods=["GET"]),
            Route("/records", patch_records, methods=["PATCH"]),
        ]
    )


def main() -> None:
    """Serve the page given as the first argument on a free port and print the URL."""
    page = Path(sys.argv[1]).read_bytes()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    print(f"baseline listening on http://127.0.0.1:{port}", flush=True)
    config = uvicorn.Config(build(page), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
