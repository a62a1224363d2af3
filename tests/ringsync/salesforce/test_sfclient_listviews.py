"""List view bodies parsed at the edge, and a view's query with the import's select list."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.errors import UnexpectedResponseError
from ringsync.salesforce.listviews import (
    parse_describe,
    parse_list_views,
    parse_results,
    with_select_list,
)

VIEW = "00BDn0000000001MAA"


def test_the_list_of_views_is_parsed_with_its_next_page() -> None:
    body = {
        "done": False,
        "nextRecordsUrl": "/services/data/v62.0/sobjects/Lead/listviews?page=2",
        "listviews": [
            {"id": VIEW, "label": "All Open Leads", "developerName": "AllOpenLeads",
             "soqlCompatible": True},
        ],
    }  # fmt: skip

    views, next_url = parse_list_views(body)

    assert [(v.id, v.label, v.developer_name, v.soql_compatible) for v in views] == [
        (VIEW, "All Open Leads", "AllOpenLeads", True)
    ]
    assert next_url == "/services/data/v62.0/sobjects/Lead/listviews?page=2"
    assert parse_list_views({"done": True, "listviews": []}) == ([], None)


def test_describe_and_results_are_parsed() -> None:
    describe = parse_describe(
        {
            "id": VIEW,
            "sobjectType": "Lead",
            "query": "SELECT Name, Id FROM Lead ORDER BY Name ASC NULLS FIRST, Id ASC NULLS FIRST",
            "scope": "everything",
            "columns": [{"fieldNameOrPath": "Name"}, {"fieldNameOrPath": "Id"}],
        }
    )
    page = parse_results(
        {
            "done": True,
            "records": [
                {"columns": [{"fieldNameOrPath": "Phone", "value": None},
                             {"fieldNameOrPath": "Id", "value": "00QDn0000000001MAA"}]},
            ],
        }
    )  # fmt: skip

    assert (describe.sobject, describe.scope, describe.columns) == (
        "Lead",
        "everything",
        ("Name", "Id"),
    )
    assert page.rows == ({"Phone": None, "Id": "00QDn0000000001MAA"},)
    assert page.done is True


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (parse_list_views, {"views": []}),
        (parse_list_views, {"listviews": [{"label": "no id"}]}),
        (parse_describe, {"columns": []}),
        (parse_describe, {"query": "SELECT Id FROM Lead", "columns": "Id"}),
        (parse_results, []),
        (parse_results, {"records": [{"cells": []}]}),
        (parse_results, {"records": [{"columns": [{"value": "x"}]}]}),
    ],
    ids=["no-list", "no-id", "no-query", "bad-columns", "not-object", "no-cells", "no-path"],
)
def test_malformed_bodies_raise_an_unexpected_response(parse: Any, body: Any) -> None:
    with pytest.raises(UnexpectedResponseError, match="malformed list view"):
        parse(body)


def test_the_select_list_is_replaced_and_the_rest_kept() -> None:
    query = (
        "SELECT Name, toLabel(Status), Id FROM Lead WHERE (IsConverted = false) "
        "ORDER BY Name ASC NULLS FIRST, Id ASC NULLS FIRST"
    )

    assert with_select_list(query, ["Id", "Phone"]) == (
        "SELECT Id, Phone FROM Lead WHERE (IsConverted = false) "
        "ORDER BY Name ASC NULLS FIRST, Id ASC NULLS FIRST"
    )


def test_a_query_with_a_subquery_in_its_select_list_is_not_rewritten() -> None:
    query = "SELECT Name, (SELECT Id FROM Tasks) FROM Lead"

    assert with_select_list(query, ["Id"]) is None
    with pytest.raises(ValueError, match="plain API names"):
        with_select_list("SELECT Id FROM Lead", ["Id; DROP"])


@given(
    st.lists(st.from_regex(r"[A-Z][A-Za-z]{0,10}", fullmatch=True), min_size=1, max_size=5),
    st.sampled_from(["", " WHERE Phone != null", " WHERE Name LIKE 'from%'"]),
)
def test_the_tail_after_from_survives_any_select_list(fields: list[str], tail: str) -> None:
    query = f"SELECT {', '.join(fields)} FROM Contact{tail}"

    assert with_select_list(query, ["Id"]) == f"SELECT Id FROM Contact{tail}"
