"""Keep each object's records ordered by (SystemModstamp, Id), so change windows skip the scan.

Incremental sync asks ``WHERE SystemModstamp >= X ORDER BY SystemModstamp, Id LIMIT 2000``
over and over; on a million records a full scan and sort costs hundreds of milliseconds, a walk
of this index only the rows in the window. Keys live in a list of sorted buckets (a small
B-tree's leaves), so inserting or removing one key costs a bisection plus a short list move,
whether the stamps arrive in order (the usual case: writes stamp "now") or not (a rollback puts
an old stamp back).

The record store calls :meth:`ModstampIndex.move` on every change of a record's stamp and when
a record appears or disappears; nothing else writes to the index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Key = tuple[str, str]
Record = dict[str, Any]

# Buckets split above twice this many keys; a thousand keeps each move of a bucket short.
BUCKET_SIZE = 1000
# A stamp sorting after every real id, so (stamp, _AFTER_IDS) closes a window inclusively.
_AFTER_IDS = "\uffff"


class SortedKeys:
    """Hold a sorted set of (stamp, id) keys in buckets of at most twice the bucket size."""

    __slots__ = ("_bucket_size", "_buckets", "_maxes", "_size")

    def __init__(self, bucket_size: int = BUCKET_SIZE) -> None:
        """Start empty; buckets split in two halves of ``bucket_size`` keys."""
        self._bucket_size = bucket_size
        self._buckets: list[list[Key]] = []
        self._maxes: list[Key] = []
        self._size = 0

    def __len__(self) -> int:
        """Return how many keys are held."""
        return self._size

    def add(self, key: Key) -> None:
        """Insert one key (which must not be present)."""
        self._size += 1
        if not self._buckets:
            self._buckets.append([key])
            self._maxes.append(key)
            return
        pos = bisect_left(self._maxes, key)
        if pos == len(self._maxes):
            pos -= 1
            self._buckets[pos].append(key)
            self._maxes[pos] = key
        else:
            insort(self._buckets[pos], key)
        bucket = self._buckets[pos]
        half = self._bucket_size
        if len(bucket) > 2 * half:
            self._buckets[pos : pos + 1] = [bucket[:half], bucket[half:]]
            self._maxes[pos : pos + 1] = [bucket[half - 1], bucket[-1]]

    def discard(self, key: Key) -> bool:
        """Remove one key; tell whether it was there."""
        pos = bisect_left(self._maxes, key)
        if pos == len(self._maxes):
            return False
        bucket = self._buckets[pos]
        at = bisect_left(bucket, key)
        if at == len(bucket) or bucket[at] != key:
            return False
        del bucket[at]
        self._size -= 1
        if not bucket:
            del self._buckets[pos]
            del self._maxes[pos]
        elif at == len(bucket):
            self._maxes[pos] = bucket[-1]
        return True

    def window(self, low: str | None, high: str | None, *, descending: bool) -> Iterator[Key]:
        """Yield the keys whose stamp lies in ``[low, high]`` (None: unbounded), in order.

        The caller must not change the index while it iterates (the store's lock sees to it).
        """
        low_key: Key = ("", "") if low is None else (low, "")
        high_key: Key = (_AFTER_IDS, _AFTER_IDS) if high is None else (high, _AFTER_IDS)
        if low_key > high_key or not self._buckets:
            return
        first = bisect_left(self._maxes, low_key)
        last = min(bisect_left(self._maxes, high_key), len(self._maxes) - 1)
        if descending:
            for pos in range(last, first - 1, -1):
                bucket = self._buckets[pos]
                end = bisect_right(bucket, high_key) if pos == last else len(bucket)
                start = bisect_left(bucket, low_key) if pos == first else 0
                for at in range(end - 1, start - 1, -1):
                    yield bucket[at]
            return
        for pos in range(first, last + 1):
            bucket = self._buckets[pos]
            start = bisect_left(bucket, low_key) if pos == first else 0
            end = bisect_right(bucket, high_key) if pos == last else len(bucket)
            yield from bucket[start:end]


class ModstampIndex:
    """One :class:`SortedKeys` per object type, keyed by the object's API name."""

    def __init__(self) -> None:
        """Start with no keys."""
        self._objects: dict[str, SortedKeys] = {}

    def keys(self, sobject: str) -> SortedKeys:
        """Return the keys of one object type (empty when it has no records yet)."""
        keys = self._objects.get(sobject)
        if keys is None:
            keys = self._objects[sobject] = SortedKeys()
        return keys

    def move(self, sobject: str, record_id: str, old: str | None, new: str | None) -> None:
        """Re-key one record: ``old`` None means it is new, ``new`` None means it is gone."""
        if old == new:
            return
        keys = self.keys(sobject)
        if old is not None:
            keys.discard((old, record_id))
        if new is not None:
            keys.add((new, record_id))

    def collect(
        self,
        sobject: str,
        records: Mapping[str, Record],
        window: tuple[str | None, str | None],
        accept: Callable[[Record], bool],
        *,
        wanted: int | None = None,
        descending: bool = False,
    ) -> list[Record]:
        """Return the records of a stamp window that ``accept`` takes, in key order.

        Stops after ``wanted`` records, so a LIMIT reads only the rows it returns (plus the
        ones ``accept`` turns down on the way).
        """
        out: list[Record] = []
        if wanted is not None and wanted <= 0:
            return out
        low, high = window
        for _stamp, record_id in self.keys(sobject).window(low, high, descending=descending):
            record = records[record_id]
            if accept(record):
                out.append(record)
                if wanted is not None and len(out) >= wanted:
                    break
        return out
