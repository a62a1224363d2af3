"""A small TCP proxy for outage tests: the product talks to a shared server through it.

Postgres and Redis are shared by everything on these machines, so a test never restarts them;
it puts this proxy between the product and the server instead. ``cut()`` drops every open
connection and refuses new ones (accepted, then closed at once) until ``restore()``; to the
client that is a server going away and coming back. Threads, one pair per connection: the
tests open a few dozen connections at most.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

BUFFER = 65536


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``; ``cut()`` and ``restore()`` switch it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        """Prepare the proxy; nothing listens before ``start()``."""
        self.target = (target_host, target_port)
        self.refused = 0
        """How many connections were refused while cut (a test checks the fault bit)."""
        self.dropped = 0
        """How many open connections ``cut()`` dropped."""
        self._up = True
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        """Return the port the proxy listens on."""
        assert self._listener is not None, "start() the proxy first"
        return int(self._listener.getsockname()[1])

    def start(self) -> TcpProxy:
        """Listen on a free port of 127.0.0.1 and start accepting."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until ``restore()``."""
        with self._lock:
            self._up = False
            victims = list(self._open)
            self._open.clear()
            self.dropped += len(victims) // 2
        for sock in victims:
            _close(sock)

    def restore(self) -> None:
        """Accept and forward connections again."""
        with self._lock:
            self._up = True

    @property
    def up(self) -> bool:
        """Tell whether connections are forwarded."""
        with self._lock:
            return self._up

    def stop(self) -> None:
        """Stop accepting and close every connection."""
        self._stopped.set()
        self.cut()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not self.up:
                with self._lock:
                    self.refused += 1
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if not self._up:  # cut while we connected
                    self.refused += 1
                    _close(client)
                    _close(server)
                    continue
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), name="tcp-proxy-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(BUFFER)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open.discard(source)
            self._open.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    """Shut a socket down both ways (waking a thread blocked on it) and close it."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()


__all__ = ["TcpProxy"]
