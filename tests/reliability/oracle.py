"""The "nothing lost" oracle: after faults stop and the engine drains, both sides are right.

For every person: one contact here and one Lead there, both equal to the expected merge of the
scenario's edits under the configured conflict policy; tracking totals equal the number of
distinct activity ids; every rejected record is listed in the failed records with its reason;
no outbox row is pending; the sync log has rows for every contact touched; one more round
writes nothing (no echo, no flip-flop). Each problem names the seed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from generator import FIELDS, TOTALS, Edit, Scenario
from harness import World

from ringsync.domain.activities import get_stats
from ringsync.domain.contacts import get_contact
from ringsync.store.repositories.sync_log import list_entries


@dataclass(frozen=True)
class Rejection:
    """Records holding ``value`` in ``prop`` are refused by the org with ``error_code``."""

    prop: str
    value: str
    error_code: str


def rerun(seed: int) -> str:
    """Return how a failure names its seed and the command that reproduces it."""
    return f"seed {seed} (rerun: pytest tests/reliability -k seed{seed:02d})"


def _blank(value: object) -> str:
    """Return a comparable text (blank and whitespace mean "no value" on both sides)."""
    return "" if value is None else str(value).strip()


def _digits(phone: object) -> str:
    digits = re.sub(r"\D", "", str(phone or ""))
    return digits[-10:]


def expected_values(scenario: Scenario, policy: str) -> dict[int, dict[str, str]]:
    """Return person -> property -> value after every edit, conflicts settled by ``policy``."""
    expected: dict[int, dict[str, str]] = {
        p.index: dict.fromkeys(FIELDS, "") for p in scenario.people
    }
    pairs: dict[tuple[int, str], list[Edit]] = {}
    for edit in scenario.edits():
        key = (edit.person, edit.prop)
        if key in scenario.conflicts:
            pairs.setdefault(key, []).append(edit)
        else:
            expected[edit.person][edit.prop] = edit.value
    for (person, prop), edits in pairs.items():
        by_side = {e.side: e for e in edits}
        if policy == "ringsync_wins":
            winner = by_side["ours"]
        elif policy == "newest_wins":
            winner = (
                by_side["ours"] if _ours_newer(scenario, by_side["ours"]) else by_side["theirs"]
            )
        else:
            winner = by_side["theirs"]
        expected[person][prop] = winner.value
    return expected


def _ours_newer(scenario: Scenario, ours: Edit) -> bool:
    """Tell whether our edit is newer than the Lead's LastModifiedDate when it is read.

    Salesforce keeps one modification time per record, so our edit wins only when it came
    after every Salesforce edit of that person in the same window (events are one clock
    second apart; the previous tick's writes are older than the whole window).
    """
    for window in scenario.windows:
        if ours in window:
            position = window.index(ours)
            theirs = [
                i
                for i, e in enumerate(window)
                if isinstance(e, Edit) and e.side == "theirs" and e.person == ours.person
            ]
            return position > max(theirs)
    raise AssertionError(f"{ours} is in no window")


def expected_totals(scenario: Scenario) -> dict[int, Counter[str]]:
    """Return person -> our total property -> distinct activity ids."""
    seen: dict[int, set[str]] = {}
    totals: dict[int, Counter[str]] = {p.index: Counter() for p in scenario.people}
    for activity in scenario.activities():
        ids = seen.setdefault(activity.person, set())
        if activity.event_id in ids:
            continue
        ids.add(activity.event_id)
        totals[activity.person][TOTALS[(activity.kind, activity.direction)][0]] += 1
    return totals


def check(
    world: World,
    scenario: Scenario,
    *,
    policy: str = "salesforce_wins",
    rejection: Rejection | None = None,
) -> None:
    """Assert the oracle; one AssertionError lists every problem found."""
    problems: list[str] = []
    expected = expected_values(scenario, policy)
    totals = expected_totals(scenario)
    rejected = {
        p
        for p, values in expected.items()
        if rejection is not None and values[rejection.prop] == rejection.value
    }
    links = world.links()
    leads_by_phone: dict[str, list[dict[str, Any]]] = {}
    for lead in world.leads():
        leads_by_phone.setdefault(_digits(lead.get("Phone")), []).append(lead)
    duplicates = {phone: len(found) for phone, found in leads_by_phone.items() if len(found) > 1}
    if duplicates:
        problems.append(f"duplicate Leads per phone: {duplicates}")
    if world.org.count("Contact") != 0:
        problems.append(f"{world.org.count('Contact')} Salesforce Contacts were created")
    ours: dict[int, dict[str, Any]] = {}
    with world.db.read() as session:
        for p in scenario.people:
            contact_id = world.contacts[p.index]
            stats = get_stats(session, world.account_id, contact_id)
            ours[p.index] = {
                **get_contact(session, world.account_id, contact_id).values,
                **{name: getattr(stats, name) for name, _ in TOTALS.values()},
            }
    for person in scenario.people:
        mine = ours[person.index]
        want = expected[person.index]
        counts = totals[person.index]
        refused = person.index in rejected
        label = f"person {person.index}"
        problems.extend(
            f"{label} ours.{prop}={mine.get(prop)!r} != {want[prop]!r}"
            for prop in FIELDS
            if _blank(mine.get(prop)) != want[prop]
        )
        problems.extend(
            f"{label} ours.{name}={mine.get(name)} != {counts[name]}"
            for name, _ in TOTALS.values()
            if int(mine.get(name) or 0) != counts[name]
        )
        found = leads_by_phone.get(_digits(person.phone), [])
        if not found:
            if not refused:  # a refused create leaves no Lead
                problems.append(f"{label}: no Lead")
            continue
        lead = found[0]
        if links.get(world.contacts[person.index]) != lead["Id"]:
            problems.append(f"{label}: linked to {links.get(world.contacts[person.index])}")
        problems.extend(
            f"{label} Lead.{sf_field}={lead.get(sf_field)!r} != {want[prop]!r}"
            for prop, sf_field in FIELDS.items()
            if not (refused and scenario.owners[(person.index, prop)] == "ours")
            and _blank(lead.get(sf_field)) != want[prop]
        )
        if not refused:  # tracking writes to a refused record are refused too
            problems.extend(
                f"{label} Lead.{sf_total}={lead.get(sf_total)} != {counts[name]}"
                for name, sf_total in TOTALS.values()
                if int(lead.get(sf_total) or 0) != counts[name]
            )
    problems.extend(_failed_problems(world, scenario, rejected, rejection))
    if world.pending():
        problems.append(f"{len(world.pending())} outbox rows still pending")
    problems.extend(_log_problems(world, scenario, links))
    assert not problems, f"{rerun(scenario.seed)}: " + "\n".join(problems[:40])


def _failed_problems(
    world: World, scenario: Scenario, rejected: set[int], rejection: Rejection | None
) -> list[str]:
    problems = []
    failed = world.engine.list_failed(world.account_id)
    by_contact = {f.contact_id: f for f in failed}
    for person in sorted(rejected):
        entry = by_contact.get(world.contacts[person])
        if entry is None:
            problems.append(f"person {person}: rejected but not in the failed records")
        elif rejection is not None and entry.error_code != rejection.error_code:
            problems.append(f"person {person}: failed with {entry.error_code}: {entry.message}")
        elif not entry.message:
            problems.append(f"person {person}: failed record has no reason")
    wanted = {world.contacts[p] for p in rejected}
    extra = [f"{f.contact_id}:{f.error_code}" for f in failed if f.contact_id not in wanted]
    if extra:
        problems.append(f"unexpected failed records: {extra}")
    del scenario
    return problems


def _log_problems(world: World, scenario: Scenario, links: dict[int, str]) -> list[str]:
    with world.db.read() as session:
        entries = list_entries(session, world.account_id, limit=100_000)
    logged_contacts = {e.contact_id for e in entries}
    logged_records = {e.record_id for e in entries}
    touched = {e.person for e in scenario.events()} | {p.index for p in scenario.people if p.late}
    missing = [
        p
        for p in sorted(touched)
        if world.contacts[p] not in logged_contacts
        and links.get(world.contacts[p]) not in logged_records
    ]
    return [f"persons with no sync log row: {missing}"] if missing else []


def check_settled(world: World, scenario: Scenario) -> None:
    """Assert one more round changes nothing: no write, no value flips."""
    before = {
        p.index: world.org.get(world.links()[world.contacts[p.index]]) for p in scenario.people
    }
    writes = world.stats.write_calls_total
    world.clock.advance(120)
    world.tick()
    world.clock.advance(120)
    world.tick()
    assert world.stats.write_calls_total == writes, (
        f"{rerun(scenario.seed)}: echo writes after drain"
    )
    after = {
        p.index: world.org.get(world.links()[world.contacts[p.index]]) for p in scenario.people
    }
    flips = [
        (p, f)
        for p in before
        for f in FIELDS.values()
        if _blank(before[p].get(f)) != _blank(after[p].get(f))
    ]
    assert not flips, f"{rerun(scenario.seed)}: values flipped after drain: {flips}"


__all__ = ["Rejection", "check", "check_settled", "expected_totals", "expected_values"]
