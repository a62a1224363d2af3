"""LRN (carrier) lookups: the provider seam, a counting fake, and the pull's cost estimate.

Pulling contacts from Salesforce looks up the carrier of every phone number ringsync does not
know yet, and each lookup is charged at the account's ``lrn_price_per_lookup``. The pull preview
shows the estimate before anything runs: lookups = distinct new E.164 numbers among the records
the pull would read; cost = lookups x price.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.domain.phones import try_normalize
from ringsync.mapping.catalog import SyncObject
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.soql import AllOf, AllowList, Cond, Condition
from ringsync.salesforce.soql import select as soql_select
from ringsync.store.tables import Contact
from ringsync.sync.config import SyncSettings

BULK_THRESHOLD = 10_000
QUERY_PAGE = 2_000
_IN_CHUNK = 500
_ALLOWED = AllowList({"Lead": ("Id", "Phone", "IsConverted"), "Contact": ("Id", "Phone")})
_CARRIERS = ("Verizon Wireless", "AT&T Mobility", "T-Mobile USA", "Lumen", "Bandwidth.com")
_LINE_TYPES = ("mobile", "landline", "voip")


@dataclass(frozen=True)
class LrnResult:
    """What an LRN lookup says about one number."""

    e164: str
    carrier: str
    line_type: str


class LrnLookupProvider(Protocol):
    """Look up the carrier of one E.164 number (each call may be charged)."""

    def lookup(self, e164: str) -> LrnResult:
        """Return the carrier and line type of ``e164``."""
        ...


@dataclass
class FakeLrnProvider:
    """Answer lookups deterministically from the number and count every call (tests, demo)."""

    calls: list[str] = field(default_factory=list)

    @property
    def call_count(self) -> int:
        """Return how many lookups were made (how many would have been charged)."""
        return len(self.calls)

    def lookup(self, e164: str) -> LrnResult:
        """Return a stable made-up carrier for ``e164`` and count the call."""
        self.calls.append(e164)
        digest = hashlib.blake2b(e164.encode(), digest_size=2).digest()
        return LrnResult(
            e164, _CARRIERS[digest[0] % len(_CARRIERS)], _LINE_TYPES[digest[1] % len(_LINE_TYPES)]
        )


@dataclass(frozen=True)
class LrnEstimate:
    """How many lookups an operation would charge, and what they would cost."""

    lookups: int
    price_per_lookup: Decimal
    cost: Decimal
    records_read: int = 0
    api_calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the estimate as JSON-ready data (money as decimal strings)."""
        return {
            "lookups": self.lookups,
            "price_per_lookup": str(self.price_per_lookup),
            "cost": str(self.cost),
            "records_read": self.records_read,
            "api_calls": self.api_calls,
        }


def estimate(lookups: int, price_per_lookup: Decimal) -> LrnEstimate:
    """Return the cost of ``lookups`` lookups at ``price_per_lookup`` each."""
    if lookups < 0:
        raise ValueError("lookups must not be negative")
    return LrnEstimate(lookups, price_per_lookup, price_per_lookup * lookups)


def new_numbers(session: Session, account_id: int, numbers: Iterable[str]) -> set[str]:
    """Return the E.164 numbers among ``numbers`` that no contact of the account has yet."""
    wanted = sorted(set(numbers))
    known: set[str] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        stmt = select(Contact.phone).where(
            Contact.account_id == account_id, Contact.phone.in_(chunk)
        )
        known.update(session.scalars(stmt))
    return set(wanted) - known


def _where(obj: SyncObject) -> Condition:
    has_phone = Cond("Phone", "!=", None)
    if obj is SyncObject.LEAD:
        return AllOf((Cond("IsConverted", "=", False), has_phone))
    return has_phone


def pull_soql(obj: SyncObject) -> str:
    """Return the query that reads the phone of every record a pull of ``obj`` would read."""
    return soql_select(["Id", "Phone"], obj.value, allowed=_ALLOWED, where=_where(obj))


def _count_soql(obj: SyncObject) -> str:
    return soql_select(["COUNT()"], obj.value, allowed=_ALLOWED, where=_where(obj))


def _phones(
    client: SalesforceClient, obj: SyncObject, count: int, bulk_threshold: int
) -> Iterator[object]:
    soql = pull_soql(obj)
    if count > bulk_threshold:
        for row in client.bulk_query_iter(soql):
            yield row.get("Phone")
    else:
        for record in client.iter_query(soql, batch_size=QUERY_PAGE):
            yield record.get("Phone")


def estimate_pull(
    client: SalesforceClient,
    session: Session,
    account_id: int,
    settings: SyncSettings,
    *,
    bulk_threshold: int = BULK_THRESHOLD,
) -> LrnEstimate:
    """Estimate the LRN lookups a pull would charge: new distinct numbers x the account's price.

    Large objects (over ``bulk_threshold`` records) are read with one Bulk API 2.0 query job
    instead of thousands of REST query pages.
    """
    numbers: set[str] = set()
    records = 0
    calls = 0
    for obj in settings.objects():
        count = client.count(_count_soql(obj))
        calls += 1
        if count > bulk_threshold:
            calls += 3  # create the job, poll it, read its results (one page per 50,000 rows)
            calls += count // 50_000
        else:
            calls += max(1, -(-count // QUERY_PAGE))
        for raw in _phones(client, obj, count, bulk_threshold):
            records += 1
            identity = try_normalize(raw, settings.phone_region) if raw else None
            if identity is not None:
                numbers.add(identity.e164)
    fresh = new_numbers(session, account_id, numbers)
    result = estimate(len(fresh), settings.lrn_price_per_lookup)
    return LrnEstimate(
        result.lookups, result.price_per_lookup, result.cost, records_read=records, api_calls=calls
    )


__all__ = [
    "BULK_THRESHOLD",
    "FakeLrnProvider",
    "LrnEstimate",
    "LrnLookupProvider",
    "LrnResult",
    "estimate",
    "estimate_pull",
    "new_numbers",
    "pull_soql",
]
