"""Graceful shutdown: the first signal sets the stop event, a second one forces the exit."""

from __future__ import annotations

import os
import signal

import pytest

from ringsync.runtime.shutdown import GracefulShutdown


def test_sigterm_sets_the_stop_event_and_calls_on_stop() -> None:
    stopped: list[str] = []
    before = signal.getsignal(signal.SIGTERM)

    with GracefulShutdown(on_stop=lambda: stopped.append("runner.stop")) as shutdown:
        os.kill(os.getpid(), signal.SIGTERM)
        assert shutdown.wait(5) is True

    assert stopped == ["runner.stop"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigint_sets_the_stop_event_instead_of_raising() -> None:
    with GracefulShutdown() as shutdown:
        os.kill(os.getpid(), signal.SIGINT)
        assert shutdown.wait(5) is True


def test_a_second_sigterm_forces_the_exit() -> None:
    shutdown = GracefulShutdown(signals=[signal.SIGTERM])
    shutdown.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert shutdown.wait(5)
        with pytest.raises(SystemExit) as exited:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before kill() returns
        assert exited.value.code == 128 + signal.SIGTERM
    finally:
        shutdown.restore()
