"""Bad input gets a clear error in the one shape and loses nothing; odd-but-valid input survives.

Covers phone numbers (extensions, Unicode digits, too long, empty, other regions, NUL bytes,
RTL marks, emoji), overlong and emoji text, SOQL metacharacters in every text field (pushed to
sfemu and read back intact), malformed JSON, oversized bodies, and settings import files that
name unknown or read-only Salesforce fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

V1 = "/api/v1"
A = "/api/v1/admin"
SOQL_NASTY = [
    "O'Brien",
    "back\\slash",
    "100% sure",
    "under_score",
    "' OR Id != null OR Name='",
    "line\nbreak",
    "\\' escaped quote",
    "unicode \\u0027 escape",
    "Zoë 👩‍💻 ✓",
]
# Text fields of a contact and the Lead field each one is pushed to (default mapping).
TEXT_FIELDS = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "company": "Company",
    "city": "City",
    "state": "State",
    "custom_field_1": "Custom_Field_1__c",
    "custom_field_2": "Custom_Field_2__c",
}


def _count(person: Any) -> int:
    return len(person.client.get(f"{V1}/contacts", params={"limit": 200}).json()["items"])


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 415 555 0101 ext. 12", "+14155550101"),
        ("  +1 (415) 555-0102  ", "+14155550102"),
        ("+١ ٤١٥ ٥٥٥ ٠١٠٣", "+14155550103"),  # Arabic-Indic digits
        ("＋１ ４１５ ５５５ ０１０４", "+14155550104"),  # full-width digits
        ("\u200f+1 415 555 0105\u200e", "+14155550105"),  # RTL/LTR marks pasted around it
        ("+44 20 7946 0958", "+442079460958"),  # another region, written in full
        (4155550106, "+14155550106"),  # a JSON number
    ],
)
def test_odd_but_valid_phones_are_normalised(world: Any, raw: Any, e164: str) -> None:
    made = world.admin.call("POST", f"{V1}/contacts", json={"phone": raw})
    assert made.status_code == 201, made.text
    # An extension is kept apart: the same main line with another extension is another person.
    assert made.json()["values"]["phone"].startswith(e164)
    again = world.admin.call("POST", f"{V1}/contacts", json={"phone": raw})
    assert again.status_code in (409, 422), "the same number twice must not make two people"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, ""),
        ("+1 415 555 0142 1234567890123", "too long"),
        ("+1 415\x00 555 0142", "letters or symbols"),
        ("📞 +1 415 555 0142", "letters or symbols"),
        ("+1 415 555 0142 😀", "letters or symbols"),
        ("1-800-FLOWERS", "letters or symbols"),
        ("020 7946 0958", "not a valid number for region US"),  # UK national, no region
        ("+1 555 0100", "not a valid number"),
        ("9" * 5000, "too long"),
    ],
)
def test_bad_phones_are_refused_with_the_reason_and_create_nothing(
    world: Any, expect_error: Any, raw: Any, why: str
) -> None:
    before = _count(world.admin)
    response = world.admin.call("POST", f"{V1}/contacts", json={"phone": raw, "first_name": "X"})
    error = expect_error(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["phone"], error
    assert why in error["details"][0]["reason"]
    assert "0142" not in error["message"] or "*" in error["message"]
    assert "4155550142" not in response.text
    assert _count(world.admin) == before


def test_overlong_and_emoji_text_is_refused_or_kept_whole(world: Any, expect_error: Any) -> None:
    emoji = "👩‍👩‍👧‍👦" * 20 + " Zoë"
    made = world.admin.call(
        "POST", f"{V1}/contacts", json={"phone": "+1 415 555 0110", "first_name": emoji}
    )
    assert made.status_code == 201, made.text
    assert made.json()["values"]["first_name"] == emoji
    before = _count(world.admin)
    huge = world.admin.call(
        "POST", f"{V1}/contacts", json={"phone": "+1 415 555 0111", "first_name": "a" * 100_000}
    )
    error = expect_error(huge, 422, "validation_error")
    assert error["details"][0]["field"] == "first_name"
    assert _count(world.admin) == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"phone": ', "application/json"),
        (b'{"phone": "+1 415 555 0120",}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"phone=+14155550120", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ],
)
def test_malformed_json_is_a_422_and_creates_nothing(
    world: Any, expect_error: Any, body: bytes, content_type: str
) -> None:
    before = _count(world.admin)
    response = world.admin.client.post(
        f"{V1}/contacts",
        content=body,
        headers={**world.admin.headers, "Content-Type": content_type},
    )
    expect_error(response, 422, "validation_error")
    assert _count(world.admin) == before


def _chunks(total: int, size: int = 64_000) -> Iterator[bytes]:
    yield b'{"phone": "+1 415 555 0130", "first_name": "'
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}'


def test_an_oversized_body_is_a_413_before_it_is_read(world: Any, expect_error: Any) -> None:
    before = _count(world.admin)
    declared = world.admin.client.post(
        f"{V1}/contacts",
        content=b'{"phone": "+1 415 555 0130", "first_name": "' + b"a" * 2_000_000 + b'"}',
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    error = expect_error(declared, 413, "too_large")
    assert "1,000,000 bytes" in error["message"]
    chunked = world.admin.client.post(
        f"{V1}/events",
        content=_chunks(10_000_000),
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    expect_error(chunked, 413, "too_large")
    assert _count(world.admin) == before


def test_a_body_just_under_the_limit_still_reaches_the_route(world: Any, expect_error: Any) -> None:
    response = world.admin.client.post(
        f"{V1}/contacts",
        content=_chunks(900_000),
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    error = expect_error(response, 422, "validation_error")  # too long a name, said so
    assert error["details"][0]["field"] == "first_name"


def test_soql_metacharacters_in_every_text_field_round_trip_through_sfemu(
    connected: Any, sf_org: Any
) -> None:
    admin = connected.admin
    drafted = admin.call("PUT", f"{A}/settings/draft", json={"create_direction": "both"})
    assert drafted.status_code == 200, drafted.text
    assert admin.call("POST", f"{A}/settings/save").status_code == 200
    sent: dict[int, dict[str, str]] = {}
    for n, nasty in enumerate(SOQL_NASTY):
        values = {prop: f"{nasty} {prop}" for prop in TEXT_FIELDS}
        made = admin.call(
            "POST", f"{V1}/contacts", json={"phone": f"+1 415 555 01{40 + n}", **values}
        )
        assert made.status_code == 201, made.text
        assert {k: made.json()["values"][k] for k in TEXT_FIELDS} == values
        sent[made.json()["id"]] = values
    pushed = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
    assert pushed.status_code == 202, pushed.text
    failed = admin.client.get(f"{A}/failed-records").json()["items"]
    assert failed == []
    for values in sent.values():
        ids = sf_org.find_by_field("Lead", "FirstName", values["first_name"])
        assert len(ids) == 1, values["first_name"]
        record = sf_org.get(ids[0])
        assert {prop: record[field] for prop, field in TEXT_FIELDS.items()} == values
    # Pushing again finds every record by its (metacharacter-laden) values: still one each.
    again = admin.call("POST", f"{A}/operations/push_contacts/run", json={})
    assert again.status_code == 202, again.text
    assert sf_org.count("Lead") == len(sent)
    # Read back: a pull leaves every value exactly as it was.
    pulled = admin.call("POST", f"{A}/operations/pull_contacts/run", json={})
    assert pulled.status_code == 202, pulled.text
    for contact_id, values in sent.items():
        got = admin.client.get(f"{V1}/contacts/{contact_id}").json()["values"]
        assert {k: got[k] for k in TEXT_FIELDS} == values


def _with_rows(document: dict[str, Any], changes: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Return a copy of an export whose lead mapping rows are changed by ringsync property."""
    settings = dict(document["settings"])
    rows = []
    for row in settings["lead_mappings"]:
        rows.append({**row, **changes.get(row["ringsync_property"], {})})
    settings["lead_mappings"] = rows
    return {**document, "settings": settings}


def test_a_settings_file_naming_unknown_or_read_only_fields_is_refused_whole(
    connected: Any, expect_error: Any
) -> None:
    admin = connected.admin
    assert admin.call("POST", f"{A}/settings/save").status_code == 200
    exported = admin.client.get(f"{A}/settings/export").json()
    bad = _with_rows(
        exported,
        {
            "custom_field_1": {"salesforce_field": "No_Such_Field__c"},
            "custom_field_2": {"salesforce_field": "CreatedById", "direction": "both"},
        },
    )
    imported = admin.call("POST", f"{A}/settings/import", json=bad)
    assert imported.status_code == 200, imported.text
    assert imported.json()["valid"] is False
    checked = admin.call("POST", f"{A}/settings/validate")
    assert checked.json()["problems"] == imported.json()["problems"]
    problems = {p["field"]: p["code"] for p in checked.json()["problems"]}
    assert problems == {
        "lead_mappings.No_Such_Field__c": "unknown_field",
        "lead_mappings.CreatedById": "not_writable",
    }, checked.text
    saved = admin.call("POST", f"{A}/settings/save")
    error = expect_error(saved, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == set(problems)
    assert "Salesforce has no field No_Such_Field__c" in saved.text
    # Nothing was lost: the saved version is still the one exported, and the draft keeps the
    # admin's work for fixing.
    assert admin.client.get(f"{A}/settings/export").json()["settings"] == exported["settings"]
    assert admin.client.get(f"{A}/settings/draft").json()["unsaved_changes"] is True


def test_without_a_connection_an_import_is_checked_only_for_its_own_shape(world: Any) -> None:
    admin = world.admin
    exported = admin.client.get(f"{A}/settings/export").json()
    bad = _with_rows(exported, {"custom_field_1": {"salesforce_field": "No_Such_Field__c"}})
    imported = admin.call("POST", f"{A}/settings/import", json=bad)
    assert imported.status_code == 200, imported.text
    assert imported.json()["problems"] == []  # the org is checked once it is connected
    garbage = admin.call("POST", f"{A}/settings/import", json={"format": "nope"})
    assert garbage.status_code == 422
    assert garbage.json()["error"]["code"] == "validation_error"
