"""The ONE request path to Salesforce: auth, budget, error table, retries, single refresh.

Every call the client, the Collections helpers and the Bulk helpers make goes through
:meth:`RequestPath.send`. It adds the bearer token, counts the call and parses
``Sforce-Limit-Info`` into the API budget, classifies failures with the table in
:mod:`ringsync.salesforce.responses`, retries by the RetryPolicy, and on a 401 refreshes the
token once (single-flight across threads, in the Authenticator) and repeats the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx2
import orjson

from ringsync.clock import Clock
from ringsync.errors import UnavailableError
from ringsync.salesforce.auth import Authenticator
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.responses import (
    CONNECTION_ERROR,
    TIMEOUT,
    Action,
    Rule,
    build_error,
    certificate_error,
    classify,
    is_certificate_error,
    parse_error_items,
)
from ringsync.salesforce.retry import RetryPolicy

log = logging.getLogger(__name__)

# Methods Salesforce applies idempotently: safe to repeat after an unknown outcome.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


class RequestFn(Protocol):
    """Send one Salesforce API call through the one request path."""

    def __call__(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sobject: str | None = None,
        record_ids: Sequence[str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx2.Response:
        """Send the call; raise a ringsync error when it fails for good."""
        ...


class RequestPath:
    """Send API calls to one org with auth, accounting, the error table and retries."""

    def __init__(
        self,
        http: httpx2.Client,
        auth: Authenticator,
        *,
        api_version: str,
        retry: RetryPolicy,
        budget: ApiBudget,
        clock: Clock,
        sleep: Callable[[float], None],
        call_client_id: str = "ringsync",
    ) -> None:
        """Wire the collaborators."""
        self._http = http
        self._auth = auth
        self.api_version = api_version
        self.retry = retry
        self.budget = budget
        self._clock = clock
        self._sleep = sleep
        self._call_options = f"client={call_client_id}"

    def send(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sobject: str | None = None,
        record_ids: Sequence[str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx2.Response:
        """Send one API call with auth, budget accounting, the error table and retries.

        ``path`` is relative to ``/services/data/vXX.X/`` unless it starts with ``/``
        (then it is relative to the instance, e.g. a ``nextRecordsUrl``). ``endpoint`` is
        the path template that errors report (never the query string).
        """
        safe_to_repeat = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        started = self._clock.now()
        retries = 0
        refreshed = False
        while True:
            token = self._auth.current_token()
            url = self._url(token.instance_url, path)
            request_headers = {
                "Authorization": f"Bearer {token.value}",
                "Accept": "application/json",
                "Sforce-Call-Options": self._call_options,
            }
            if headers:
                request_headers.update(headers)
            status: int
            rule: Rule
            try:
                self.budget.record_call()
                response = self._http.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    json=json,
                    content=content,
                    headers=request_headers,
                )
            except httpx2.TransportError as exc:
                if is_certificate_error(exc):
                    raise certificate_error(urlsplit(url).netloc, endpoint) from exc
                status = TIMEOUT if isinstance(exc, httpx2.TimeoutException) else CONNECTION_ERROR
                never_sent = isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout)
                if not safe_to_repeat and not never_sent:
                    raise UnavailableError(
                        f"Salesforce call {endpoint} failed and may or may not have been "
                        "applied; it is not repeated automatically",
                        status=status,
                        endpoint=endpoint,
                        sobject=sobject,
                        outcome_unknown=True,
                    ) from exc
                rule = classify(status, None)
                error = build_error(
                    rule,
                    status=status,
                    details=[],
                    endpoint=endpoint,
                    sobject=sobject,
                    record_ids=list(record_ids or []),
                )
            else:
                self.budget.observe(response.headers.get("Sforce-Limit-Info"))
                if response.status_code < 300 or response.status_code == 304:
                    return response
                status = response.status_code
                details = parse_error_items(_json_or_none(response))
                code = details[0].code if details else None
                rule = classify(status, code, details[0].message if details else "")
                error = build_error(
                    rule,
                    status=status,
                    details=details,
                    endpoint=endpoint,
                    sobject=sobject,
                    record_ids=list(record_ids or []),
                )
            if rule.action is Action.REFRESH_ONCE and not refreshed:
                refreshed = True
                log.info("Salesforce session expired on %s; refreshing the token", endpoint)
                self._auth.refresh(token.value)
                continue
            if rule.action is Action.PAUSE_BUDGET:
                self.budget.note_limit_exceeded()
                log.warning("Salesforce refused %s: API limit reached; pausing", endpoint)
                raise error
            if rule.action is Action.RETRY_BACKOFF:
                delay = self.retry.delay(retries)
                elapsed = (self._clock.now() - started).total_seconds()
                if self.retry.allows(retries + 1, elapsed, delay):
                    log.info(
                        "Salesforce call %s failed (%s); retry %d in %.2f s",
                        endpoint,
                        error.context.get("error_code") or status,
                        retries + 1,
                        delay,
                    )
                    self._sleep(delay)
                    retries += 1
                    continue
            error.context["attempts"] = retries + 1
            raise error

    def _url(self, instance_url: str, path: str) -> str:
        """Return the absolute URL of an API path on the instance."""
        if path.startswith("/"):
            return instance_url.rstrip("/") + path
        return f"{instance_url.rstrip('/')}/services/data/v{self.api_version}/{path}"


def _json_or_none(response: httpx2.Response) -> Any:
    """Return the JSON body of a response, or None when it has none."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


__all__ = ["IDEMPOTENT_METHODS", "RequestFn", "RequestPath"]
