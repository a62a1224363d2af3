"""F14: network latency of 0.2 to 0.6 s per write call, with the client timeout just below the top.

sfemu runs on a real TLS socket. During the windows every Collections call waits 0.2 s before
it is served and about a third wait 0.4 s more; the client's timeout is 0.5 s, so those calls
time out on our side while sfemu goes on and applies the write after we gave up (an unknown
outcome). Retries and the next runs must not create a second Lead or count an event twice.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from generator import generate
from harness import World, password_client
from oracle import check, check_settled

from conftest import SIZE, seeded
from sfemu.server import RunningServer, start_server

TIMEOUT_S = 0.5
BASE_MS = 200
SLOW_MS = 400
SLOW_SHARE = 0.35


class CountingTransport(httpx2.HTTPTransport):
    """The real TLS transport, counting the calls that timed out on our side."""

    timeouts = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send the request; count a read timeout before passing it on."""
        try:
            return super().handle_request(request)
        except httpx2.TimeoutException:
            self.timeouts += 1
            raise


@pytest.fixture
def slow_world(
    make_world: Callable[..., World], tmp_path: Path
) -> Iterator[Callable[[int], tuple[World, CountingTransport]]]:
    """Return worlds whose client reaches sfemu over TLS with a short read timeout."""
    opened: list[tuple[httpx2.Client, RunningServer]] = []

    def build(seed: int) -> tuple[World, CountingTransport]:
        world = make_world(seed)
        server = start_server(world.app, tls=True, cert_dir=tmp_path / f"tls-latency-{seed}")
        assert server.ca_path is not None
        context = ssl.create_default_context(cafile=str(server.ca_path))
        transport = CountingTransport(verify=context)
        http = httpx2.Client(transport=transport, timeout=TIMEOUT_S)
        opened.append((http, server))
        world.client = password_client(http, server.base_url, world.clock, seed)
        return world, transport

    yield build
    for http, server in opened:
        http.close()
        server.stop()


@seeded()
def test_slow_calls_timing_out_after_the_write_duplicate_nothing(
    slow_world: Callable[[int], tuple[World, CountingTransport]], seed: int
) -> None:
    world, transport = slow_world(seed)
    scenario = generate(seed, SIZE)
    world.baseline(scenario)
    rules = []

    def latency(window: int) -> None:
        del window
        world.faults.clear()
        world.faults.add({"kind": "latency", "endpoint": "composite/*", "latency_ms": BASE_MS})
        rules.append(
            world.faults.add(
                {
                    "kind": "latency",
                    "endpoint": "composite/*",
                    "latency_ms": SLOW_MS,
                    "probability": SLOW_SHARE,
                }
            )
        )

    world.play(scenario, between=latency)
    world.drain()

    check(world, scenario)
    check_settled(world, scenario)
    assert sum(rule.fired for rule in rules) > 0, f"seed {seed}: no call was slow"
    assert transport.timeouts > 0, f"seed {seed}: no call timed out"
