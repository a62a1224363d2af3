"""Sync users, the pure part: which mappings stay, which go (and why), who gets mapped.

Our users are matched to Salesforce users by email, compared case-insensitively; our users are
never created. A mapping is removed when our user is deleted, inactive or suspended, or is an
extension or a destination, or when the Salesforce user no longer exists, is deactivated, or its
email no longer matches our user's. The same functions serve the preview (over everything at
once) and the run (batch by batch), so a preview says exactly what the run will do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ringsync.operations.model import PlannedItem

MATCHED = "matched"
MAPPED = "mapped"
REMOVED = "removed"
UNMATCHED = "unmatched"
SKIPPED = "skipped"
UNSYNCED_OWNER = "unsynchronized_owner"
OWNER_TYPES = frozenset({"Standard"})

_OUR_STATUS_REASONS = {
    "deleted": "our user is deleted",
    "inactive": "our user is inactive",
    "suspended": "our user is suspended",
}
_OUR_KIND_REASONS = {
    "extension": "our user is an extension",
    "destination": "our user is a destination",
}
SF_MISSING = "the Salesforce user no longer exists"
SF_DEACTIVATED = "the Salesforce user is deactivated"
SF_EMAIL_CHANGED = "the Salesforce user's email no longer matches our user's"


@dataclass(frozen=True)
class OurUser:
    """One of our users as sync users sees it."""

    id: int
    email: str
    name: str
    status: str
    kind: str


@dataclass(frozen=True)
class SalesforceUser:
    """One Salesforce user (a possible record owner)."""

    id: str
    email: str
    name: str
    is_active: bool
    user_type: str | None = "Standard"

    @property
    def is_owner(self) -> bool:
        """Tell whether the user can own records (an active standard user)."""
        return self.is_active and (self.user_type is None or self.user_type in OWNER_TYPES)


def email_key(email: str | None) -> str:
    """Return the form emails are compared in (trimmed, case-folded)."""
    return (email or "").strip().casefold()


def ineligible_reason(user: OurUser) -> str | None:
    """Return why our user may not own Salesforce records, or None when it may."""
    return _OUR_STATUS_REASONS.get(user.status) or _OUR_KIND_REASONS.get(user.kind)


def removal_reason(user: OurUser, salesforce: SalesforceUser | None) -> str | None:
    """Return why the mapping of ``user`` to ``salesforce`` must go, or None when it is valid."""
    ours = ineligible_reason(user)
    if ours is not None:
        return ours
    if salesforce is None:
        return SF_MISSING
    if not salesforce.is_active:
        return SF_DEACTIVATED
    if email_key(salesforce.email) != email_key(user.email):
        return SF_EMAIL_CHANGED
    return None


def _target(user: OurUser) -> str:
    return f"user:{user.id}"


def check_mapping(
    user: OurUser, salesforce_id: str, salesforce: Mapping[str, SalesforceUser]
) -> PlannedItem:
    """Decide on an existing mapping: ``matched`` (still valid) or ``removed`` with the reason."""
    found = salesforce.get(salesforce_id)
    reason = removal_reason(user, found)
    detail = {"salesforce_user_id": salesforce_id}
    if reason is not None:
        return PlannedItem(REMOVED, _target(user), user.email, reason, detail)
    return PlannedItem(MATCHED, _target(user), user.email, "already mapped and still valid", detail)


def index_by_email(users: Iterable[SalesforceUser]) -> dict[str, list[SalesforceUser]]:
    """Group Salesforce users by the compared form of their email."""
    index: dict[str, list[SalesforceUser]] = {}
    for user in users:
        index.setdefault(email_key(user.email), []).append(user)
    return index


def match_user(
    user: OurUser, by_email: Mapping[str, Sequence[SalesforceUser]], taken: Iterable[str]
) -> PlannedItem:
    """Decide on an unmapped user: ``mapped`` to one Salesforce user, else unmatched or skipped."""
    ineligible = ineligible_reason(user)
    if ineligible is not None:
        return PlannedItem(SKIPPED, _target(user), user.email, ineligible)
    same_email = list(by_email.get(email_key(user.email), ()))
    active = [u for u in same_email if u.is_active]
    if not active:
        reason = (
            "the only Salesforce user with this email is deactivated"
            if same_email
            else "no Salesforce user has this email"
        )
        return PlannedItem(UNMATCHED, _target(user), user.email, reason)
    if len(active) > 1:
        reason = f"{len(active)} active Salesforce users share this email; map one by hand"
        return PlannedItem(UNMATCHED, _target(user), user.email, reason)
    chosen = active[0]
    if chosen.id in set(taken):
        reason = "the Salesforce user with this email is mapped to another of our users"
        return PlannedItem(UNMATCHED, _target(user), user.email, reason)
    detail = {"salesforce_user_id": chosen.id, "salesforce_name": chosen.name}
    return PlannedItem(MAPPED, _target(user), user.email, "same email", detail)


def unsynchronized_owners(
    salesforce: Iterable[SalesforceUser], mapped_ids: Iterable[str]
) -> list[PlannedItem]:
    """List the active Salesforce owners no user of ours is mapped to, by id."""
    taken = set(mapped_ids)
    return [
        PlannedItem(
            UNSYNCED_OWNER,
            f"salesforce:{u.id}",
            f"{u.name} <{u.email}>",
            "no ringsync user has this email",
            {"salesforce_user_id": u.id},
        )
        for u in sorted(salesforce, key=lambda s: s.id)
        if u.is_owner and u.id not in taken
    ]


def plan(
    users: Sequence[OurUser],
    mappings: Mapping[int, str],
    salesforce: Sequence[SalesforceUser],
) -> list[PlannedItem]:
    """Return every decision of one sync users, in the order a run makes them.

    First each existing mapping is checked (by our user id), then each of our users without a
    (remaining) mapping is matched (by id), then the unsynchronized owners are listed.
    """
    by_id = {u.id: u for u in salesforce}
    current = dict(mappings)
    items: list[PlannedItem] = []
    for user in sorted(users, key=lambda u: u.id):
        if user.id in current:
            item = check_mapping(user, current[user.id], by_id)
            items.append(item)
            if item.action == REMOVED:
                del current[user.id]
    by_email = index_by_email(salesforce)
    for user in sorted(users, key=lambda u: u.id):
        if user.id in current:
            continue
        item = match_user(user, by_email, current.values())
        items.append(item)
        if item.action == MAPPED:
            current[user.id] = str(item.detail["salesforce_user_id"])
    items.extend(unsynchronized_owners(salesforce, current.values()))
    return items


__all__ = [
    "MAPPED",
    "MATCHED",
    "REMOVED",
    "SF_DEACTIVATED",
    "SF_EMAIL_CHANGED",
    "SF_MISSING",
    "SKIPPED",
    "UNMATCHED",
    "UNSYNCED_OWNER",
    "OurUser",
    "SalesforceUser",
    "check_mapping",
    "email_key",
    "index_by_email",
    "ineligible_reason",
    "match_user",
    "plan",
    "removal_reason",
    "unsynchronized_owners",
]
