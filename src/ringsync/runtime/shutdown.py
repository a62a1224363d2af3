"""Graceful shutdown: SIGTERM or SIGINT sets a stop event instead of killing mid-batch.

Tasks see the event through ``ctx.should_stop()`` and return between batches, so cursors and
leases are left consistent. A second signal restores the previous handler's behaviour (for
SIGINT, Python's KeyboardInterrupt) so an operator can still force an exit.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Any

logger = logging.getLogger(__name__)

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)

_Handler = Callable[[int, FrameType | None], Any] | int | None


class GracefulShutdown:
    """Turn stop signals into ``stop_event``; use as a context manager in the main thread."""

    def __init__(
        self,
        stop_event: threading.Event | None = None,
        signals: Iterable[signal.Signals] = STOP_SIGNALS,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        """Set ``stop_event`` (a new one by default) and call ``on_stop`` on the first signal."""
        self.stop_event = stop_event or threading.Event()
        self._signals = tuple(signals)
        self._on_stop = on_stop
        self._previous: dict[signal.Signals, _Handler] = {}

    def install(self) -> None:
        """Install the handlers; only the main thread may do this (Python's rule)."""
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Put back the handlers that were there before ``install``."""
        while self._previous:
            signum, handler = self._previous.popitem()
            signal.signal(signum, handler)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop signal arrives (or ``timeout``); tell whether one did."""
        return self.stop_event.wait(timeout)

    def __enter__(self) -> GracefulShutdown:
        """Install the handlers."""
        self.install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Restore the previous handlers."""
        self.restore()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop_event.is_set():
            logger.warning("second %s: forcing exit", name)
            previous = self._previous.get(signal.Signals(signum))
            self.restore()
            if callable(previous):
                previous(signum, frame)
            elif signum == signal.SIGINT:
                raise KeyboardInterrupt
            else:
                raise SystemExit(128 + signum)
            return
        logger.info("%s received: finishing the current batch, then stopping", name)
        self.stop_event.set()
        if self._on_stop is not None:
            self._on_stop()


__all__ = ["STOP_SIGNALS", "GracefulShutdown"]
