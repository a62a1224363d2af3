"""The read window keeps exactly the overlap's keys, however often it prunes along the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ringsync.mapping.catalog import SyncObject
from ringsync.sync.inbound import _Window
from ringsync.sync.plan import InboundRecord
from ringsync.sync.records import ReadRecord

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OVERLAP = timedelta(seconds=5)


def _read(record_id: str, second: int) -> ReadRecord:
    record = InboundRecord(SyncObject.LEAD, record_id, {})
    return ReadRecord(record, START + timedelta(seconds=second), f"key-{record_id}-{second}")


reads = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 120)),  # (record number, modstamp second)
    max_size=300,
)
floors = st.one_of(st.none(), st.integers(0, 120))


@given(reads, floors, st.integers(1, 50))
def test_pruning_as_it_goes_keeps_the_same_cursor_as_pruning_at_the_end(
    seen: list[tuple[int, int]], floor: int | None, prune_at: int
) -> None:
    at_floor = None if floor is None else START + timedelta(seconds=floor)
    pruned = _Window(OVERLAP, None, floor=at_floor, prune_at=prune_at)
    for number, second in seen:
        pruned.add(_read(f"00Q{number:015d}", second))

    cursor = pruned.cursor("Lead", None)

    latest: dict[str, tuple[int, str]] = {}
    for number, second in seen:
        latest[f"00Q{number:015d}"] = (second, f"key-00Q{number:015d}-{second}")
    if not seen:
        assert cursor.modstamp is None
        assert cursor.seen == {}
        return
    high = max(second for _n, second in seen)
    start = high if floor is None else min(high, floor)
    expected = {rid: key for rid, (second, key) in latest.items() if second >= start - 5}
    assert cursor.modstamp == START + timedelta(seconds=high)
    assert cursor.seen == expected


def test_a_long_read_holds_only_the_overlaps_keys_not_one_per_record() -> None:
    window = _Window(OVERLAP, None)
    for n in range(100_000):  # modstamps rise one second every 1,000 records
        window.add(_read(f"00Q{n:015d}", n // 1000))
        assert len(window.keys) <= 40_000  # bounded, not one key per record read
    assert len(window.cursor("Lead", None).seen) == 6_000  # seconds 94..99 of 1,000 each
