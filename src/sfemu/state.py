"""What one running emulator holds beside its org: config, sessions, stats, faults, cursors, jobs.

CONTRACT shared by the sfemu modules:
- ``app.state.sfemu`` is the :class:`EmulatorState` of a Starlette app made by
  ``create_emulator_app``; route handlers reach it with :func:`emulator_state`.
- The auth middleware (sfemu.app) stores the caller's user id in ``scope["sfemu_user_id"]``;
  handlers read it with :func:`current_user_id`.
- Handlers that read or write records report counts with ``state.stats.count_records``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

if TYPE_CHECKING:
    from sfemu.faults import FaultPlan
    from sfemu.oauth import TokenStore
    from sfemu.org import Org
    from sfemu.stats import Stats

# API versions served, oldest first (Salesforce lists 20.0 upward).
API_VERSIONS: tuple[str, ...] = tuple(f"{v}.0" for v in range(20, 67))
LATEST_VERSION = API_VERSIONS[-1]


@dataclass
class EmulatorConfig:
    """Knobs of one emulator instance."""

    session_seconds: int = 7200
    refresh_token_rotation: bool = False
    query_batch_size: int = 2000
    public_base_url: str | None = None


@dataclass
class EmulatorState:
    """Everything a running emulator keeps, reachable from every handler."""

    org: Org
    config: EmulatorConfig
    stats: Stats
    faults: FaultPlan
    tokens: TokenStore
    cursors: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)


def emulator_state(request: Request) -> EmulatorState:
    """Return the emulator state of the app serving ``request``."""
    state: EmulatorState = request.app.state.sfemu
    return state


def current_user_id(request: Request) -> str:
    """Return the id of the authenticated caller (set by the auth middleware)."""
    user_id: str = request.scope["sfemu_user_id"]
    return user_id


def base_url(request: Request) -> str:
    """Return the scheme://host[:port] the caller used, or the configured public URL."""
    configured = emulator_state(request).config.public_base_url
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"
