"""Pull contacts through the engine against sfemu: LRN estimate first, lookups charged once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.contacts import create_contact, list_contacts
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.operations.handler import OperationEnv
from ringsync.operations.lrn import FakeLrnProvider, LrnResult
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.pull import LRN_LOOKUPS, LRN_NOT_CONFIGURED
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.store.db import Database

PULL = OperationKind.PULL_CONTACTS
Configure = Callable[..., None]


def _lead(org: Any, last_name: str, phone: str) -> str:
    return str(org.create("Lead", {"LastName": last_name, "Company": "Acme", "Phone": phone}))


def _phones(database: Database, account_id: int) -> list[str]:
    with database.read() as session:
        return sorted(c.phone for c in list_contacts(session, account_id))


@pytest.fixture
def org_with_leads(sf_org: Any, clock: FrozenClock) -> Any:
    _lead(sf_org, "Ada", "(415) 555-0101")
    _lead(sf_org, "Bob", "415-555-0102")
    _lead(sf_org, "Cyd", "+1 415 555 0103")
    clock.advance(60)  # the run starts after the records were written
    return sf_org


def test_pull_preview_estimates_the_lookups_and_the_run_charges_exactly_those(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    lrn: FakeLrnProvider,
    configure: Configure,
    org_with_leads: Any,
) -> None:
    configure(lrn_price_per_lookup="0.01")
    with database.write() as session:
        create_contact(session, account_id, {"phone": "+14155550102"}, clock=clock)

    preview = runner.preview(account_id, PULL)
    assert lrn.call_count == 0  # a preview charges nothing
    done = runner.run(account_id, PULL)

    assert (preview.lrn_lookups, preview.lrn_cost) == (2, Decimal("0.02"))
    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert sorted(lrn.calls) == ["+14155550101", "+14155550103"]
    assert done.counts[LRN_LOOKUPS] == preview.lrn_lookups
    assert done.counts["created"] == preview.counts["new_numbers"] == 2
    assert done.counts["read"] == 3
    assert _phones(database, account_id) == ["+14155550101", "+14155550102", "+14155550103"]


def test_a_second_full_pull_reads_everything_again_and_charges_nothing(
    runner: OperationRunner,
    account_id: int,
    lrn: FakeLrnProvider,
    clock: FrozenClock,
    org_with_leads: Any,
) -> None:
    runner.run(account_id, PULL)
    clock.advance(60)

    again = runner.run(account_id, PULL)
    incremental = runner.run(account_id, PULL, {"full": False})

    assert again.status is OperationStatus.SUCCEEDED, again.errors
    assert again.counts["read"] == 3
    assert again.counts.get("created", 0) == 0
    assert again.counts[LRN_LOOKUPS] == 0
    # Incremental: only the cursor's overlap window is read again, and nothing in it is new.
    assert incremental.counts.get("read", 0) == incremental.counts.get("already_seen", 0)
    assert incremental.counts.get("created", 0) == 0
    assert lrn.call_count == 3


@dataclass
class FlakyLrn:
    """An LRN provider whose service is down until told otherwise."""

    inner: FakeLrnProvider = field(default_factory=FakeLrnProvider)
    down: bool = True

    def lookup(self, e164: str) -> LrnResult:
        if self.down:
            raise ConnectionError("LRN service unavailable")
        return self.inner.lookup(e164)


def test_a_crash_during_lookups_resumes_without_charging_any_number_twice(
    env: OperationEnv,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    org_with_leads: Any,
) -> None:
    flaky = FlakyLrn()
    runner = create_runner(OperationEnv(env.database, env.salesforce, env.clock, flaky))

    failed = runner.run(account_id, PULL)
    assert failed.status is OperationStatus.FAILED
    assert failed.errors == ("ConnectionError: LRN service unavailable",)
    assert failed.cursor == {"step": "lrn", "after": ""}

    flaky.down = False
    resumed = runner.resume(account_id, failed.id)

    with database.write() as session:
        twin = create_account(session, "Twin", clock=clock).id
    clean_lrn = FakeLrnProvider()
    clean = create_runner(OperationEnv(env.database, env.salesforce, env.clock, clean_lrn))
    clean_done = clean.run(twin, PULL)
    assert resumed.status is OperationStatus.SUCCEEDED, resumed.errors
    assert flaky.inner.calls == clean_lrn.calls  # each new number looked up exactly once
    assert resumed.counts[LRN_LOOKUPS] == clean_done.counts[LRN_LOOKUPS] == 3
    assert _phones(database, account_id) == _phones(database, twin)


def test_pull_reads_both_objects_when_both_sync(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    configure: Configure,
    sf_org: Any,
) -> None:
    configure(object_mode="both", priority="Contact")
    _lead(sf_org, "Lead", "415-555-0111")
    sf_org.create("Contact", {"LastName": "Contact", "Phone": "415-555-0112"})
    clock.advance(60)

    done = runner.run(account_id, PULL)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert _phones(database, account_id) == ["+14155550111", "+14155550112"]
    runs = runner_items(database, account_id, done.id)
    assert [r.label for r in runs] == ["inbound Contact", "inbound Lead"]  # priority first


def runner_items(database: Database, account_id: int, operation_id: int) -> list[Any]:
    from ringsync.operations.store import items

    with database.read() as session:
        return items(session, account_id, operation_id)


def test_bad_parameters_are_refused(runner: OperationRunner, account_id: int) -> None:
    with pytest.raises(OperationRefusedError, match="full must be true or false"):
        runner.start(account_id, PULL, {"full": "yes"})
    with pytest.raises(OperationRefusedError, match="no parameter 'since'"):
        runner.preview(account_id, PULL, {"since": "yesterday"})


def test_settings_change_between_preview_and_run_is_not_applied_silently(
    runner: OperationRunner, database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as session:
        edit_draft(session, account_id, {"object_mode": "contacts"}, edited_by="a", clock=clock)

    preview = runner.preview(account_id, PULL)

    assert preview.items[0].label == "Lead"  # the unsaved draft is not in force
    with database.write() as session:
        save_draft(session, account_id, saved_by="a", clock=clock)
    assert runner.preview(account_id, PULL).items[0].label == "Contact"


def test_a_large_full_pull_reads_through_bulk_api_2(
    env: OperationEnv,
    database: Database,
    account_id: int,
    sf_http: Any,
    org_with_leads: Any,
) -> None:
    from ringsync.sync.engine import EngineOptions, SyncEngine
    from ringsync.sync.inbound import InboundOptions

    engine = SyncEngine(
        env.database,
        lambda _account: env.salesforce,
        clock=env.clock,
        options=EngineOptions(inbound=InboundOptions(bulk_threshold=2)),
    )
    runner = create_runner(OperationEnv(env.database, env.salesforce, env.clock, env.lrn, engine))
    paths: list[str] = []
    sf_http.event_hooks["request"].append(lambda request: paths.append(request.url.path))

    done = runner.run(account_id, PULL)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert any(path.endswith("/jobs/query") for path in paths)
    assert _phones(database, account_id) == ["+14155550101", "+14155550102", "+14155550103"]


def test_without_an_lrn_provider_new_numbers_are_counted_not_looked_up(
    env: OperationEnv, account_id: int, org_with_leads: Any
) -> None:
    runner = create_runner(OperationEnv(env.database, env.salesforce, env.clock, None))

    done = runner.run(account_id, PULL)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert done.counts[LRN_NOT_CONFIGURED] == 3
    assert done.counts[LRN_LOOKUPS] == 0


def test_cancel_stops_the_engine_pass_between_its_batches(
    env: OperationEnv,
    database: Database,
    account_id: int,
    sf_http: Any,
    org_with_leads: Any,
) -> None:
    from ringsync.sync.engine import EngineOptions, SyncEngine
    from ringsync.sync.inbound import InboundOptions

    engine = SyncEngine(
        env.database,
        lambda _account: env.salesforce,
        clock=env.clock,
        options=EngineOptions(inbound=InboundOptions(batch_size=1, bulk_threshold=None)),
    )
    runner = create_runner(OperationEnv(env.database, env.salesforce, env.clock, env.lrn, engine))
    queued = runner.start(account_id, PULL)

    def cancel_on_first_query(request: Any) -> None:
        if (
            request.url.path.endswith("/query")
            and not runner.status(account_id, queued.id).cancel_requested
        ):
            runner.cancel(account_id, queued.id)

    sf_http.event_hooks["request"].append(cancel_on_first_query)

    done = runner.execute(account_id, queued.id)

    assert done.status is OperationStatus.CANCELLED
    assert done.counts["read"] == 1  # the engine stopped after its first committed batch
    assert len(_phones(database, account_id)) == 1


def test_a_long_read_reports_its_progress_after_every_engine_batch(
    env: OperationEnv,
    account_id: int,
    org_with_leads: Any,
) -> None:
    from ringsync.sync.engine import EngineOptions, RunSummary, SyncEngine
    from ringsync.sync.inbound import InboundOptions

    seen: list[int] = []
    probe: dict[str, OperationRunner] = {}

    class WatchedEngine(SyncEngine):
        """The real engine; after each batch, read the operation as another process would."""

        def run_inbound(
            self,
            account_id: int,
            *,
            should_stop: Callable[[], bool] | None = None,
            on_progress: Callable[[int], None] | None = None,
        ) -> list[RunSummary]:
            assert should_stop is not None

            def look_then_check() -> bool:
                operation = probe["runner"].status(account_id, probe["id"])  # type: ignore[arg-type]
                seen.append(operation.progress_done)
                return should_stop()

            return super().run_inbound(
                account_id, should_stop=look_then_check, on_progress=on_progress
            )

    engine = WatchedEngine(
        env.database,
        lambda _account: env.salesforce,
        clock=env.clock,
        options=EngineOptions(inbound=InboundOptions(batch_size=1, bulk_threshold=None)),
    )
    runner = create_runner(OperationEnv(env.database, env.salesforce, env.clock, env.lrn, engine))
    queued = runner.start(account_id, PULL)
    probe["runner"], probe["id"] = runner, queued.id  # type: ignore[assignment]

    done = runner.execute(account_id, queued.id)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    # One record a batch: the stored progress moves batch by batch (the engine asks once more
    # after the object's last batch).
    assert seen[:3] == [1, 2, 3]
    assert set(seen) == {1, 2, 3}
    assert done.progress_done == 3  # the pass's own record sets the same figure, not twice it
