from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ringsync import __version__
from ringsync.cli import app
from ringsync.clock import FrozenClock


def test_version_command_prints_the_version() -> None:
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 3, 1, tzinfo=UTC)
    clock.advance(90)
    assert clock.now() == datetime(2026, 3, 1, 0, 1, 30, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    assert clock.now().day == 2


def test_frozen_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2026, 1, 1))
