"""Shared sfemu test fixtures: a fresh org on a clock the test controls."""

from __future__ import annotations

import pytest

from sfemu.clock import ManualClock
from sfemu.org import Org


@pytest.fixture
def clock() -> ManualClock:
    """Return a controllable clock starting at 2026-01-15T12:00:00Z (``clock.advance(s)``)."""
    return ManualClock()


@pytest.fixture
def org(clock: ManualClock) -> Org:
    """Return a fresh org whose time is driven by the ``clock`` fixture."""
    return Org(clock=clock)
