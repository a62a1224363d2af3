"""What a compiled query needs from its caller at run time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfemu.schema import ObjectDef


@dataclass
class EvalContext:
    """Parent look-ups, the clock for relative dates, and the API version for record URLs."""

    lookup: Callable[[str], Mapping[str, Any] | None]
    object_for_id: Callable[[str], ObjectDef | None]
    now: datetime
    api_version: str = "66.0"
