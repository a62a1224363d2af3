"""GET /limits: the org's limits with the live daily API usage and fixed, plausible others."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sfemu.http import json_response
from sfemu.state import emulator_state

# Limits sfemu does not consume: (Max, Remaining) as a fresh Enterprise org reports them.
STATIC_LIMITS: dict[str, tuple[int, int]] = {
    "ActiveScratchOrgs": (3, 3),
    "AnalyticsExternalDataSizeMB": (40960, 40960),
    "ConcurrentAsyncGetReportInstances": (200, 200),
    "ConcurrentSyncReportRuns": (20, 20),
    "DailyAnalyticsDataflowJobExecutions": (60, 60),
    "DailyApiRequests": (0, 0),  # replaced by the live numbers
    "DailyAsyncApexExecutions": (250000, 250000),
    "DailyBulkApiBatches": (15000, 15000),
    "DailyBulkV2QueryFileStorageMB": (976562, 976562),
    "DailyBulkV2QueryJobs": (10000, 10000),
    "DailyDurableGenericStreamingApiEvents": (10000, 10000),
    "DailyDurableStreamingApiEvents": (10000, 10000),
    "DailyGenericStreamingApiEvents": (10000, 10000),
    "DailyStandardVolumePlatformEvents": (10000, 10000),
    "DailyStreamingApiEvents": (10000, 10000),
    "DailyWorkflowEmails": (1000, 1000),
    "DataStorageMB": (1024, 1024),
    "DurableStreamingApiConcurrentClients": (20, 20),
    "FileStorageMB": (20480, 20480),
    "HourlyAsyncReportRuns": (1200, 1200),
    "HourlyDashboardRefreshes": (200, 200),
    "HourlyDashboardResults": (5000, 5000),
    "HourlyDashboardStatuses": (999999999, 999999999),
    "HourlyODataCallout": (20000, 20000),
    "HourlySyncReportRuns": (500, 500),
    "HourlyTimeBasedWorkflow": (50, 50),
    "MassEmail": (10, 10),
    "MonthlyPlatformEventsUsageEntitlement": (0, 0),
    "PermissionSets": (1500, 1500),
    "SingleEmail": (15, 15),
    "StreamingApiConcurrentClients": (20, 20),
}
# Bytes one stored record counts toward data storage (Salesforce counts ~2 KB per record).
RECORD_STORAGE_BYTES = 2048


def limits_body(request: Request) -> dict[str, Any]:
    """Return the /limits body for the org serving ``request``."""
    state = emulator_state(request)
    org = state.org
    state.stats.roll_window(org.now())
    body: dict[str, Any] = {
        name: {"Max": max_, "Remaining": remaining}
        for name, (max_, remaining) in STATIC_LIMITS.items()
    }
    limit = org.daily_api_limit
    body["DailyApiRequests"] = {
        "Max": limit,
        "Remaining": max(0, limit - state.stats.daily_used),
    }
    batches_used = sum(1 for job in state.jobs.values() if getattr(job, "kind", "") == "ingest")
    query_jobs = sum(1 for job in state.jobs.values() if getattr(job, "kind", "") == "query")
    body["DailyBulkApiBatches"] = {"Max": 15000, "Remaining": max(0, 15000 - batches_used)}
    body["DailyBulkV2QueryJobs"] = {"Max": 10000, "Remaining": max(0, 10000 - query_jobs)}
    stored = sum(org.count(obj.name, include_deleted=True) for obj in org.sobjects())
    used_mb = stored * RECORD_STORAGE_BYTES // (1024 * 1024)
    max_mb = max(1024, used_mb)
    body["DataStorageMB"] = {"Max": max_mb, "Remaining": max_mb - used_mb}
    return body


async def limits(request: Request) -> Response:
    """Answer GET /limits."""
    return json_response(limits_body(request))
