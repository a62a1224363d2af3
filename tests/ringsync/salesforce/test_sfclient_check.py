"""The connection check against sfemu: API access, budget, and every mapped field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.check import FieldRequirement, check_connection
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy

MakeClient = Callable[..., SalesforceClient]


def test_check_reports_each_field_with_a_fix(sf_client: SalesforceClient, sf_org: Any) -> None:
    sf_org.add_custom_field("Lead", "Total_Calls", "double", precision=18, scale=0)
    result = check_connection(
        sf_client,
        [
            FieldRequirement("Lead", "Phone", needs_update=True),
            FieldRequirement("Lead", "total_calls__c", needs_update=True),
            FieldRequirement("Lead", "Name", needs_update=False),
            FieldRequirement("Lead", "Name", needs_update=True),
            FieldRequirement("Lead", "DNC__c", needs_update=True),
            FieldRequirement("Nope__c", "Id", needs_update=False),
        ],
    )
    assert result.api_ok
    assert result.api_error is None
    assert result.daily_api_max is not None
    assert result.daily_api_max > 0
    assert result.budget is not None
    assert result.budget.our_calls >= 1
    verdicts = [(f.field, f.ok) for f in result.fields]
    assert verdicts == [
        ("Phone", True),
        ("Total_Calls__c", True),
        ("Name", True),
        ("Name", False),
        ("DNC__c", False),
        ("Id", False),
    ]
    assert result.fields[3].fix == (
        "Grant Edit on Lead.Name to the integration user's profile, "
        "or set this field's direction to 'from Salesforce only'"
    )
    assert result.fields[4].fix is not None
    assert "Create the field Lead.DNC__c" in result.fields[4].fix
    assert result.fields[5].fix is not None
    assert "Nope__c object" in result.fields[5].fix
    assert not result.ok


def test_check_with_rejected_credentials_says_so(
    sf_http: httpx2.Client, hosts: HostPolicy, make_client: MakeClient
) -> None:
    auth = PasswordAuth(
        sf_http,
        "https://sfemu.test",
        hosts,
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's demo secret
        username="admin@sfemu.test",
        password="wrong",  # the point of the test
    )
    result = check_connection(make_client(auth=auth), [FieldRequirement("Lead", "Phone", True)])
    assert not result.ok
    assert not result.api_ok
    assert result.api_error is not None
    assert result.api_error.startswith("Salesforce API access failed: Salesforce refused")
    assert result.fields == []
