"""sfemu speed: query paging over many leads and Collections updates, against a do-nothing server.

Run: ``python -m bench emulator -- --leads 1000000``. The client runs here; sfemu and the baseline
server each run in a child process. Figures: records per second, the ratio to the baseline (the
same HTTP stack returning the same bytes with no work), API calls per record, and sfemu's memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import orjson

from bench import servers

FIELDS = (
    "Id, FirstName, LastName, Company, Email, Phone, MobilePhone, Status, LeadSource, OwnerId, "
    "City, State, PostalCode, Country, SystemModstamp"
)
VERSION = "v66.0"


def _token(client: httpx2.Client) -> str:
    reply = client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "sfemu-client",
            "client_secret": "sfemu-secret",
            "username": "admin@sfemu.test",
            "password": "sfemu",
        },
    )
    reply.raise_for_status()
    token: str = reply.json()["access_token"]
    return token


def _page_all(client: httpx2.Client, max_pages: int | None) -> dict[str, Any]:
    url: str | None = f"/services/data/{VERSION}/query"
    params: dict[str, str] | None = {"q": f"SELECT {FIELDS} FROM Lead ORDER BY SystemModstamp"}
    records = pages = 0
    first_page_s = 0.0
    ids: list[str] = []
    sample = b""
    started = time.perf_counter()
    while url is not None:
        reply = client.get(url, params=params)
        reply.raise_for_status()
        body = orjson.loads(reply.content)
        if pages == 0:
            first_page_s = time.perf_counter() - started
            sample = reply.content
        pages += 1
        records += len(body["records"])
        if len(ids) < 100_000:
            ids.extend(r["Id"] for r in body["records"])
        url = None if body["done"] or (max_pages and pages >= max_pages) else body["nextRecordsUrl"]
        params = None
    elapsed = time.perf_counter() - started
    return {
        "records": records,
        "pages": pages,
        "seconds": elapsed,
        "first_page_seconds": first_page_s,
        "ids": ids,
        "sample": sample,
    }


def _update_payloads(ids: list[str], count: int) -> list[bytes]:
    payloads = []
    for start in range(0, min(count, len(ids)), 200):
        chunk = ids[start : start + 200]
        records = [
            {"attributes": {"type": "Lead"}, "id": rid, "City": "Benchville", "Title": f"T{n}"}
            for n, rid in enumerate(chunk)
        ]
        payloads.append(orjson.dumps({"allOrNone": False, "records": records}))
    return payloads


def _send_updates(client: httpx2.Client, url: str, payloads: list[bytes]) -> tuple[int, float]:
    sent = 0
    started = time.perf_counter()
    for payload in payloads:
        reply = client.patch(url, content=payload, headers={"Content-Type": "application/json"})
        reply.raise_for_status()
        results = orjson.loads(reply.content)
        sent += sum(1 for r in results if r["success"])
    return sent, time.perf_counter() - started


def main(argv: list[str]) -> dict[str, Any]:
    """Measure sfemu and the baseline; return the figures."""
    parser = argparse.ArgumentParser(prog="bench emulator")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--update-records", type=int, default=20_000)
    parser.add_argument("--max-pages", type=int, default=0, help="0 = every page")
    args = parser.parse_args(argv)

    seed_started = time.perf_counter()
    with servers.sfemu(leads=args.leads, contacts=0, users=10) as emu:
        seed_seconds = time.perf_counter() - seed_started
        rss_seeded, _ = emu.rss_mb()
        with httpx2.Client(base_url=emu.base_url, timeout=600) as client:
            client.headers["Authorization"] = f"Bearer {_token(client)}"
            client.post("/__sfemu/stats/reset")
            query = _page_all(client, args.max_pages or None)
            payloads = _update_payloads(query["ids"], args.update_records)
            updated, update_seconds = _send_updates(
                client, f"/services/data/{VERSION}/composite/sobjects", payloads
            )
            stats = client.get("/__sfemu/stats").json()
        rss_now, rss_peak = emu.rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "page.json"
        page_file.write_bytes(query["sample"])
        per_page = len(orjson.loads(query["sample"])["records"])
        with servers.baseline(page_file) as base, httpx2.Client(base_url=base.base_url) as client:
            pages = min(query["pages"], 200)
            started = time.perf_counter()
            for _ in range(pages):
                reply = client.get("/page")
                orjson.loads(reply.content)
            base_query_rate = pages * per_page / (time.perf_counter() - started)
            base_sent, base_seconds = _send_updates(client, "/records", payloads)
    base_update_rate = base_sent / base_seconds

    query_rate = query["records"] / query["seconds"]
    update_rate = updated / update_seconds
    calls = stats.get("api_calls_total", 0)
    result = {
        "leads": args.leads,
        "seed_seconds": round(seed_seconds, 1),
        "sfemu_rss_mb_after_seed": round(rss_seeded),
        "sfemu_rss_mb_after_run": round(rss_now),
        "sfemu_peak_rss_mb": round(rss_peak),
        "query_records": query["records"],
        "query_pages": query["pages"],
        "query_first_page_seconds": round(query["first_page_seconds"], 3),
        "query_records_per_second": round(query_rate),
        "baseline_query_records_per_second": round(base_query_rate),
        "query_ratio_to_baseline": round(query_rate / base_query_rate, 3),
        "query_api_calls_per_record": round(query["pages"] / max(query["records"], 1), 6),
        "collections_records_updated": updated,
        "collections_records_per_second": round(update_rate),
        "baseline_collections_records_per_second": round(base_update_rate),
        "collections_ratio_to_baseline": round(update_rate / base_update_rate, 3),
        "collections_api_calls_per_record": round(len(payloads) / max(updated, 1), 6),
        "sfemu_api_calls_total": calls,
        "targets": {"query_records_per_second": 20_000, "collections_records_per_second": 5_000},
    }
    return result
