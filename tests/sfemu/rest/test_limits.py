"""GET /limits: live daily API usage against the org's limit, plus the other limits."""

from __future__ import annotations

from starlette.testclient import TestClient

from sfemu.org import Org
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"


def test_limits_report_daily_api_usage(client: TestClient, org: Org, emu: EmulatorState) -> None:
    org.daily_api_limit = 15000
    client.get(f"{BASE}/sobjects")
    reply = client.get(f"{BASE}/limits")
    assert reply.status_code == 200
    body = reply.json()
    used = emu.stats.daily_used
    assert used >= 2
    assert body["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - used}
    header = reply.headers["Sforce-Limit-Info"]
    assert header.startswith("api-usage=")


def test_limits_include_bulk_and_storage_entries(client: TestClient, org: Org) -> None:
    for i in range(3):
        org.create("Lead", {"LastName": f"L{i}", "Company": "C"})
    client.post(f"{BASE}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Lead"})
    body = client.get(f"{BASE}/limits/").json()
    for name in (
        "DailyBulkApiBatches",
        "DailyBulkV2QueryJobs",
        "DailyBulkV2QueryFileStorageMB",
        "DataStorageMB",
        "FileStorageMB",
        "DailyStreamingApiEvents",
    ):
        assert set(body[name]) == {"Max", "Remaining"}
        assert 0 <= body[name]["Remaining"] <= body[name]["Max"]
    assert body["DailyBulkV2QueryJobs"]["Remaining"] == 9999


def test_remaining_never_goes_negative(client: TestClient, org: Org, emu: EmulatorState) -> None:
    org.daily_api_limit = 1000
    emu.stats.set_daily_used(999, org.now())
    body = client.get(f"{BASE}/limits").json()
    assert body["DailyApiRequests"] == {"Max": 1000, "Remaining": 0}
