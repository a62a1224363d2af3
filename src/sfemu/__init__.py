"""sfemu: a faithful local emulator of the Salesforce REST, OAuth and Bulk 2.0 APIs.

``create_emulator_app``, ``Org`` and ``seed_org`` are imported on first use, so importing
the package stays cheap and free of import cycles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Org", "__version__", "create_emulator_app", "seed_org"]

_LAZY = {
    "create_emulator_app": "sfemu.app",
    "Org": "sfemu.org",
    "seed_org": "sfemu.seed",
}

if TYPE_CHECKING:
    from sfemu.app import create_emulator_app
    from sfemu.org import Org
    from sfemu.seed import seed_org


def __getattr__(name: str) -> Any:
    """Import the public names on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sfemu' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
