"""Before-images of the records one transaction touched, so allOrNone can really roll back."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from sfemu.errors import SalesforceError
from sfemu.org import Org

# Scope key under which an open journal travels with a (possibly internal) request.
JOURNAL_SCOPE_KEY = "sfemu_journal"


class Journal:
    """Remember each touched record's state before its first change in this transaction."""

    def __init__(self) -> None:
        """Start with nothing touched."""
        self._before: dict[str, dict[str, Any] | None] = {}

    def created(self, record_id: str) -> None:
        """Note a record this transaction inserted (rollback removes it)."""
        self._before.setdefault(record_id, None)

    def before_change(self, org: Org, record_id: str) -> None:
        """Keep a copy of the record as it is now, unless already kept."""
        if record_id in self._before:
            return
        try:
            normalized = org.normalize_id(record_id)
        except SalesforceError:
            return  # a malformed id fails the write itself; there is nothing to keep
        if normalized in self._before:
            return
        current: Mapping[str, Any] | None = org.lookup(normalized)
        if current is not None:
            self._before[normalized] = copy.deepcopy(dict(current))

    def rollback(self, org: Org) -> None:
        """Put every touched record back as it was, newest change first."""
        for record_id, image in reversed(list(self._before.items())):
            org.restore_record(record_id, image)
        self._before.clear()

    def merge_into(self, parent: Journal) -> None:
        """Give the parent the before-images it does not hold yet (oldest wins)."""
        for record_id, image in self._before.items():
            parent._before.setdefault(record_id, image)

    def __len__(self) -> int:
        """Return how many records this journal holds."""
        return len(self._before)


def journal_for(request: Request) -> Journal | None:
    """Return the journal of the transaction this request runs in, if any."""
    journal: Journal | None = request.scope.get(JOURNAL_SCOPE_KEY)
    return journal


class JournalScope:
    """Open a child journal on a request for one transaction, then settle it."""

    def __init__(self, request: Request, *, needed: bool = True) -> None:
        """Remember the request and its open journal; ``needed`` False skips journaling.

        A transaction that can never roll back (allOrNone false) needs no before-images of
        its own, but still reports to an enclosing journal when there is one.
        """
        self._scope = request.scope
        self._parent: Journal | None = request.scope.get(JOURNAL_SCOPE_KEY)
        self._install = needed or self._parent is not None
        self.journal = Journal()

    def __enter__(self) -> Journal:
        """Make the child journal the one writes report to (when journaling is on)."""
        if self._install:
            self._scope[JOURNAL_SCOPE_KEY] = self.journal
        return self.journal

    def __exit__(self, *exc_info: object) -> None:
        """Hand what the child saw to the parent journal and reopen the parent."""
        if self._parent is not None:
            self.journal.merge_into(self._parent)
        self._scope[JOURNAL_SCOPE_KEY] = self._parent
