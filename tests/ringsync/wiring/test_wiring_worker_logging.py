"""The Celery worker entry logs like the rest of ringsync: one format, phone numbers masked."""

from __future__ import annotations

import logging

import pytest

from ringsync.errors import ConfigError
from ringsync.runtime.worker import main


def test_the_worker_entry_sets_up_ringsync_logging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # An earlier test may have installed ringsync's handler on a stream that is gone; start clean.
    root = logging.getLogger()
    monkeypatch.setattr(
        root, "handlers", [h for h in root.handlers if not getattr(h, "_ringsync", False)]
    )
    monkeypatch.setenv("RINGSYNC_ENV_FILE", "")
    monkeypatch.setenv("RINGSYNC_LOG_LEVEL", "DEBUG")

    with pytest.raises(ConfigError, match="cannot load registry factory"):
        main(["worker", "--registry", "ringsync.no_such_module:factory"])

    assert root.level == logging.DEBUG
    assert any(getattr(h, "_ringsync", False) for h in root.handlers)
    logging.getLogger("ringsync.runtime.worker").warning("calling +14155550123 now")
    err = capsys.readouterr().err
    assert "WARNING ringsync.runtime.worker: calling ***0123 now" in err
    assert "4155550123" not in err
