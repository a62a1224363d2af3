"""One thread that runs callbacks after a delay, with keyed entries for debouncing.

Delays use the monotonic clock: they measure intervals inside this process and must not jump
when the wall clock does. A keyed entry is scheduled once; scheduling the same key again while
it waits does nothing, which is how a burst of wake-ups becomes one run.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)


class Timer:
    """Run callbacks on a background thread once their delay has passed."""

    def __init__(self, name: str = "ringsync-timer") -> None:
        """Prepare the thread; nothing runs before ``start()``."""
        self._name = name
        self._heap: list[tuple[float, int, Hashable | None, Callable[[], None]]] = []
        self._keys: set[Hashable] = set()
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread."""
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def schedule(
        self, delay: float, callback: Callable[[], None], *, key: Hashable | None = None
    ) -> bool:
        """Run ``callback`` after ``delay`` seconds; False if stopped or ``key`` already waits."""
        with self._cond:
            if self._stopped or (key is not None and key in self._keys):
                return False
            if key is not None:
                self._keys.add(key)
            due = time.monotonic() + max(delay, 0.0)
            heapq.heappush(self._heap, (due, next(self._seq), key, callback))
            self._cond.notify()
            return True

    def pending(self) -> int:
        """Return how many callbacks wait."""
        with self._cond:
            return len(self._heap)

    def stop(self, timeout: float | None = None) -> bool:
        """Drop what waits, stop the thread, and tell whether it ended within ``timeout``."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._keys.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, key, callback = heapq.heappop(self._heap)
                if key is not None:
                    self._keys.discard(key)
            try:
                callback()
            except Exception:
                logger.exception("timer callback failed")


__all__ = ["Timer"]
