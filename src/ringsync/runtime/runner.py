"""The Runner protocol: what the web app and services call to get work done.

Two implementations: ``EmbeddedRunner`` (threads inside the web process, the default) and
``CeleryRunner`` (sends messages to Celery workers). A submitted job only says "look at this
account now"; the work itself is described by rows in the database, so a lost or duplicated
job loses or duplicates nothing.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ringsync.errors import ConfigError


class RunnerStoppedError(ConfigError):
    """The runner is stopping or stopped and accepts no new work."""

    code = "runner_stopped"


@runtime_checkable
class Runner(Protocol):
    """Run tasks by name, serialize them per account, and stop gracefully."""

    def submit(self, task: str, /, **kwargs: Any) -> str:
        """Queue ``task`` with JSON keyword arguments; return the job id."""
        ...

    def wake(self, account_id: int) -> None:
        """Ask for an outbound sync of ``account_id`` soon; bursts coalesce into one run."""
        ...

    def start(self) -> None:
        """Start threads or connections; submit may be called only after this."""
        ...

    def stop(self, timeout: float | None = None) -> bool:
        """Stop accepting work, let running tasks end, and tell whether all ended in time."""
        ...


__all__ = ["Runner", "RunnerStoppedError"]
