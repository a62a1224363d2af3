"""The threaded uvicorn server: TLS with the generated CA, free ports, TCP_NODELAY, stop."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpx2
import pytest
import requests

from sfemu.app import create_emulator_app
from sfemu.org import Org
from sfemu.server import start_server, url_host
from sfemu.tls import make_certificates


def trust(ca_path: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_path))


def test_tls_server_is_reachable_with_the_ca(org: Org, tmp_path: Any) -> None:
    with start_server(create_emulator_app(org), tls=True, cert_dir=tmp_path) as server:
        assert server.base_url == f"https://127.0.0.1:{server.port}"
        assert server.ca_path == tmp_path / "sfemu-ca.pem"
        for host in ("127.0.0.1", "localhost"):
            url = f"https://{host}:{server.port}/services/data/"
            response = httpx2.get(url, verify=trust(server.ca_path))
            assert response.status_code == 200
            assert response.json()[0]["version"] == "20.0"
        assert requests.get(server.base_url + "/services/data", verify=server.ca_path).ok


def test_tls_server_is_refused_without_the_ca(org: Org) -> None:
    with start_server(create_emulator_app(org), tls=True) as server:
        with pytest.raises(httpx2.ConnectError):
            httpx2.get(server.base_url + "/services/data/")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.base_url + "/services/data/", timeout=10)


def test_certificate_names(tmp_path: Any) -> None:
    files = make_certificates(tmp_path)
    context = ssl.create_default_context(cafile=str(files.ca_path))
    assert context.cert_store_stats()["x509_ca"] == 1
    assert files.key_path.stat().st_mode & 0o077 == 0
    assert b"BEGIN CERTIFICATE" in files.cert_path.read_bytes()


def test_plain_server_on_a_free_port_and_stop(org: Org) -> None:
    server = start_server(create_emulator_app(org))
    assert server.port > 0
    assert server.ca_path is None
    assert httpx2.get(server.base_url + "/services/data/").status_code == 200
    server.stop()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(server.base_url + "/services/data/")


def test_port_in_use_is_an_error(org: Org) -> None:
    with start_server(create_emulator_app(org)) as server, pytest.raises(OSError, match="in use"):
        start_server(create_emulator_app(org), port=server.port)


@pytest.mark.parametrize("tls", [False, True])
def test_connections_have_tcp_nodelay(tls: bool) -> None:
    """Check the server socket option that keeps small responses from waiting ~40 ms (Nagle)."""

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        transport = send.__self__.transport
        sock = transport.get_extra_info("socket")
        flag = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        body = str(flag).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    with start_server(probe, tls=tls) as server:
        verify: Any = trust(server.ca_path) if tls else True
        assert httpx2.get(server.base_url + "/", verify=verify).text != "0"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("::1", "[::1]"), ("localhost", "localhost")],
)
def test_url_host(host: str, expected: str) -> None:
    assert url_host(host) == expected
