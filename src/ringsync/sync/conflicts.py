"""Conflict policies: who wins when both sides changed one field since the last sync.

A conflict is logged every time a policy decides, so that the admin can see which value lost.

* ``salesforce_wins`` and ``ringsync_wins`` pick a side outright;
* ``newest_wins`` compares our per-field change time with the record's LastModifiedDate;
  when the times are equal or one is unknown, Salesforce wins (Salesforce is the system of
  record for sales data, and a fixed tie-break keeps the result deterministic);
* ``never_blank`` lets a non-blank value beat a blank one; between two non-blank values it
  falls back to ``newest_wins``. Under this policy a blank never overwrites a value, even
  when only one side changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConflictPolicy(StrEnum):
    """How one field's conflict is settled (the values match SyncSettings' strings)."""

    SALESFORCE_WINS = "salesforce_wins"
    RINGSYNC_WINS = "ringsync_wins"
    NEWEST_WINS = "newest_wins"
    NEVER_BLANK = "never_blank"


class Side(StrEnum):
    """One of the two systems a value can come from."""

    RINGSYNC = "ringsync"
    SALESFORCE = "salesforce"


@dataclass(frozen=True)
class Conflict:
    """Both sides changed ``field`` to different values; ``winner`` says whose value stays."""

    field: str
    ours: object
    theirs: object
    base: object
    policy: ConflictPolicy
    winner: Side
    reason: str = ""


def newer_side(ours_at: datetime | None, theirs_at: datetime | None) -> Side:
    """Return the side whose change is strictly newer; Salesforce on a tie or an unknown time."""
    if ours_at is not None and theirs_at is not None and ours_at > theirs_at:
        return Side.RINGSYNC
    return Side.SALESFORCE


def resolve(
    policy: ConflictPolicy,
    *,
    ours_blank: bool,
    theirs_blank: bool,
    ours_at: datetime | None,
    theirs_at: datetime | None,
) -> tuple[Side, str]:
    """Return the winning side under ``policy`` and a short reason for the sync log."""
    if policy is ConflictPolicy.SALESFORCE_WINS:
        return Side.SALESFORCE, "Salesforce wins"
    if policy is ConflictPolicy.RINGSYNC_WINS:
        return Side.RINGSYNC, "ringsync wins"
    if policy is ConflictPolicy.NEVER_BLANK and ours_blank != theirs_blank:
        winner = Side.SALESFORCE if ours_blank else Side.RINGSYNC
        return winner, "a blank never overwrites a value"
    winner = newer_side(ours_at, theirs_at)
    return winner, f"newest change wins ({winner})"


def policy_for(
    prop: str,
    policies: Mapping[str, str],
    default: str = ConflictPolicy.NEWEST_WINS,
) -> ConflictPolicy:
    """Return the policy configured for ``prop``, else the default; raise ValueError if unknown."""
    return ConflictPolicy(policies.get(prop, default))


__all__ = ["Conflict", "ConflictPolicy", "Side", "newer_side", "policy_for", "resolve"]
