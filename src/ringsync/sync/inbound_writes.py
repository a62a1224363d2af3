"""Hold back the link, outbox and failure writes of one inbound batch and send them in bulk.

Applying a record used to cost about ten statements; most of them were the same three or four
statements for every record (store the link, resolve earlier failures, remember a
fingerprint). Here they are collected while the batch is applied and written as one statement
each (an executemany or an IN list) when the applier flushes: at the end of the batch, and
before any step that reads or removes links, so every statement still sees the writes of the
records before it.

A link given twice for one contact or one record keeps the later one, as two `save` calls in a
row would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from ringsync.domain.contact_values import Known, Origin
from ringsync.domain.contacts_bulk import known_all
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import sync_failed, sync_links
from ringsync.store.repositories.sync_links import LinkRow


class BatchWrites:
    """The pending bulk writes of one inbound batch, in the caller's transaction."""

    def __init__(
        self, session: Session, account_id: int, at: datetime, stored: Mapping[str, LinkRow]
    ) -> None:
        """Write into ``session``; ``stored`` are the batch's links as loaded, by record id."""
        self.session = session
        self.account_id = account_id
        self.at = at
        self.stored: dict[str, LinkRow] = dict(stored)
        self.links: dict[int, LinkRow] = {}
        self.by_record: dict[tuple[str, str], int] = {}
        self.fingerprints: dict[str, str] = {}
        self.outbox: list[dict[str, object]] = []
        self.applied: list[str] = []
        self._known: Known | None = None

    def known(self) -> Known:
        """Return what contact values may refer to, loaded once per batch."""
        if self._known is None:
            self._known = known_all(self.session, self.account_id)
        return self._known

    def link(self, link: LinkRow) -> None:
        """Store ``link`` at the next flush (replacing pending links of its contact or record)."""
        record = (link.sobject, link.record_id)
        earlier = self.by_record.pop(record, None)
        if earlier is not None:
            del self.links[earlier]
        replaced = self.links.pop(link.contact_id, None)
        if replaced is not None:
            del self.by_record[(replaced.sobject, replaced.record_id)]
        self.links[link.contact_id] = link
        self.by_record[record] = link.contact_id

    def fingerprint(self, record_id: str, value: str) -> None:
        """Remember a record's fingerprint as last read at the next flush."""
        self.fingerprints[record_id] = value

    def queue_outbox(self, contact_id: int, fields: list[str]) -> None:
        """Add an outbox row for properties bound for Salesforce at the next flush."""
        self.outbox.append(
            {
                "account_id": self.account_id,
                "contact_id": contact_id,
                "fields": sorted(fields),
                "origin": Origin.RINGSYNC.value,
                "created_at": self.at,
                "attempts": 0,
                "status": outbox_repo.PENDING,
            }
        )

    def resolve(self, record_id: str) -> None:
        """Resolve a record's open inbound failure at the next flush (it went through)."""
        self.applied.append(record_id)

    def removed(self, record_id: str, contact_id: int | None = None) -> None:
        """Forget stored links the applier just removed (of a record, and of a contact)."""
        self.stored.pop(record_id, None)
        if contact_id is not None:
            self.stored = {r: s for r, s in self.stored.items() if s.contact_id != contact_id}

    def flush(self) -> None:
        """Write everything pending: links, fingerprints, outbox rows, resolved failures."""
        session, account_id, at = self.session, self.account_id, self.at
        refreshed: list[LinkRow] = []
        new: list[LinkRow] = []
        for link in self.links.values():
            stored = self.stored.get(link.record_id)
            same = stored is not None and (stored.contact_id, stored.sobject) == (
                link.contact_id,
                link.sobject,
            )
            (refreshed if same else new).append(link)
        sync_links.refresh_many(session, account_id, refreshed, at)
        sync_links.insert_many(session, account_id, new, at)
        if new:
            gone = {link.contact_id for link in new}
            taken = {(link.sobject, link.record_id) for link in new}
            self.stored = {
                rid: s
                for rid, s in self.stored.items()
                if s.contact_id not in gone and (s.sobject, s.record_id) not in taken
            }
        self.stored.update((link.record_id, link) for link in self.links.values())
        sync_links.set_fingerprints(session, account_id, self.fingerprints, at)
        outbox_repo.add_many(session, self.outbox)
        sync_failed.resolve_for_records(session, account_id, self.applied, at)
        self.links, self.by_record = {}, {}
        self.fingerprints, self.outbox, self.applied = {}, [], []


__all__ = ["BatchWrites"]
