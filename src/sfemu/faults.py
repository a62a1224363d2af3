"""Fault injection: rules that make chosen API calls fail the ways real Salesforce fails.

A rule names a *kind*, which calls it matches (a glob over the endpoint template such as
``sobjects/{sobject}/{id}`` or over the request path, plus an HTTP method) and how often it
fires: the next ``count`` matching calls, with a ``probability`` drawn from a seeded RNG, or
(with neither) every matching call. ``unable_to_lock_row`` rules are not applied per call but
per record, by the collections and Bulk ingest code through :meth:`FaultPlan.lock_error_for`.
The token kinds (``token_500``, ``token_invalid_grant``) apply only to the OAuth token endpoint
(:meth:`FaultPlan.token_fault`, optionally per ``grant_type``), and ``bulk_job_failure`` only to
Bulk API 2.0 jobs as they are processed (:meth:`FaultPlan.job_failure_for`); data-call rules
never touch either.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

FAULT_KINDS = (
    "http_500",
    "http_503",
    "request_limit",
    "session_expiry",
    "latency",
    "drop_after_write",
    "unable_to_lock_row",
    "token_500",
    "token_invalid_grant",
    "bulk_job_failure",
)
TOKEN_KINDS = frozenset({"token_500", "token_invalid_grant"})
JOB_KINDS = frozenset({"bulk_job_failure"})
CALL_KINDS = frozenset(FAULT_KINDS) - {"unable_to_lock_row"} - TOKEN_KINDS - JOB_KINDS


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; the message says what to fix."""


@dataclass
class FaultRule:
    """One fault rule and how many times it has fired."""

    id: str
    kind: str
    endpoint: str = "*"
    method: str = "*"
    count: int | None = None
    probability: float | None = None
    latency_ms: int = 0
    record_ids: frozenset[str] = field(default_factory=frozenset)
    grant_type: str = "*"
    fired: int = 0

    def matches_call(self, method: str, targets: tuple[str, ...]) -> bool:
        """Tell whether a call (method and endpoint/path strings) is one this rule covers."""
        if self.method != "*" and self.method != method:
            return False
        return self.endpoint == "*" or any(fnmatchcase(t, self.endpoint) for t in targets)

    def as_dict(self) -> dict[str, Any]:
        """Return the rule as the admin API shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "method": self.method,
            "count": self.count,
            "probability": self.probability,
            "latency_ms": self.latency_ms,
            "record_ids": sorted(self.record_ids),
            "grant_type": self.grant_type,
            "fired": self.fired,
        }


class FaultPlan:
    """The fault rules of one emulator, with the seeded RNG probabilities draw from."""

    def __init__(self, seed: int | None = 0) -> None:
        """Start with no rules."""
        self.rules: list[FaultRule] = []
        self.call_rules: list[FaultRule] = []
        self._rng = random.Random(seed)  # noqa: S311 -- fault sampling, not security
        self._next_id = 1

    @property
    def active(self) -> bool:
        """Tell whether any per-call rule exists (the middleware's fast path)."""
        return bool(self.call_rules)

    def reseed(self, seed: int | None) -> None:
        """Restart the RNG so probabilistic faults repeat for a seed."""
        self._rng = random.Random(seed)  # noqa: S311 -- fault sampling, not security

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Validate a rule given as a dict (admin API / CLI) and add it."""
        rule = _rule_from_spec(f"f{self._next_id}", spec)
        self._next_id += 1
        self.rules.append(rule)
        self._refresh()
        return rule

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; tell whether it existed."""
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        self._refresh()
        return len(self.rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        self.rules = []
        self._refresh()

    def describe(self) -> list[dict[str, Any]]:
        """Return every rule as JSON-ready data."""
        return [r.as_dict() for r in self.rules]

    def triggered(self, method: str, targets: tuple[str, ...]) -> list[FaultRule]:
        """Return the per-call rules that fire for this call, consuming counts."""
        fired = [r for r in self.call_rules if r.matches_call(method, targets) and self._fire(r)]
        if any(r.count == 0 for r in fired):
            self.rules = [r for r in self.rules if r.count != 0]
            self._refresh()
        return fired

    def lock_error_for(self, record_id: str) -> bool:
        """Tell whether writing this record should fail with UNABLE_TO_LOCK_ROW."""
        for rule in self.rules:
            if rule.kind != "unable_to_lock_row":
                continue
            if rule.record_ids and not (
                record_id in rule.record_ids or record_id[:15] in rule.record_ids
            ):
                continue
            if self._fire(rule):
                if rule.count == 0:
                    self.rules = [r for r in self.rules if r is not rule]
                    self._refresh()
                return True
        return False

    def token_fault(self, grant_type: str) -> FaultRule | None:
        """Return the token-endpoint rule that fires for a grant of ``grant_type``, if any."""
        for rule in self.rules:
            if rule.kind not in TOKEN_KINDS:
                continue
            if rule.grant_type not in ("*", grant_type):
                continue
            if self._fire(rule):
                self._drop_spent(rule)
                return rule
        return None

    def job_failure_for(self, kind: str) -> bool:
        """Tell whether the Bulk job being processed (``jobs/ingest`` or ``jobs/query``) fails."""
        for rule in self.rules:
            if rule.kind not in JOB_KINDS:
                continue
            if rule.endpoint != "*" and not fnmatchcase(kind, rule.endpoint):
                continue
            if self._fire(rule):
                self._drop_spent(rule)
                return True
        return False

    def _drop_spent(self, rule: FaultRule) -> None:
        if rule.count == 0:
            self.rules = [r for r in self.rules if r is not rule]
            self._refresh()

    def _fire(self, rule: FaultRule) -> bool:
        if rule.count is not None and rule.count <= 0:
            return False
        if rule.probability is not None and self._rng.random() >= rule.probability:
            return False
        if rule.count is not None:
            rule.count -= 1
        rule.fired += 1
        return True

    def _refresh(self) -> None:
        self.call_rules = [r for r in self.rules if r.kind in CALL_KINDS]


def _rule_from_spec(rule_id: str, spec: dict[str, Any]) -> FaultRule:
    kind = spec.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}; use one of: {', '.join(FAULT_KINDS)}")
    unknown = set(spec) - {
        "kind",
        "endpoint",
        "method",
        "count",
        "probability",
        "latency_ms",
        "record_ids",
        "grant_type",
    }
    if unknown:
        raise FaultSpecError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
    count = _optional_int(spec, "count", minimum=1)
    probability = spec.get("probability")
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise FaultSpecError("probability must be a number between 0 and 1")
        if not 0 <= probability <= 1:
            raise FaultSpecError("probability must be a number between 0 and 1")
        probability = float(probability)
    latency_ms = _optional_int(spec, "latency_ms", minimum=0) or 0
    if kind == "latency" and latency_ms <= 0:
        raise FaultSpecError("a latency fault needs latency_ms > 0")
    record_ids = spec.get("record_ids") or []
    if not isinstance(record_ids, list) or not all(isinstance(i, str) for i in record_ids):
        raise FaultSpecError("record_ids must be a list of record ids")
    if record_ids and kind != "unable_to_lock_row":
        raise FaultSpecError("record_ids applies only to unable_to_lock_row faults")
    grant_type = spec.get("grant_type", "*")
    if not isinstance(grant_type, str) or not grant_type:
        raise FaultSpecError("grant_type must be a grant such as 'refresh_token', or '*'")
    if grant_type != "*" and kind not in TOKEN_KINDS:
        raise FaultSpecError("grant_type applies only to token_500 and token_invalid_grant")
    endpoint = spec.get("endpoint", "*")
    method = spec.get("method", "*")
    if not isinstance(endpoint, str) or not endpoint:
        raise FaultSpecError("endpoint must be a non-empty glob such as 'sobjects/*'")
    if not isinstance(method, str) or not method:
        raise FaultSpecError("method must be an HTTP method or '*'")
    return FaultRule(
        id=rule_id,
        kind=kind,
        endpoint=endpoint if endpoint.startswith("/services") else endpoint.lstrip("/") or "*",
        method=method.upper(),
        count=count,
        probability=probability,
        latency_ms=latency_ms,
        record_ids=frozenset(record_ids),
        grant_type=grant_type,
    )


def _optional_int(spec: dict[str, Any], key: str, *, minimum: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultSpecError(f"{key} must be an integer >= {minimum}")
    return value


def parse_fault_spec(text: str) -> dict[str, Any]:
    """Parse a CLI fault spec: ``KIND[,key=value...]``, e.g. ``http_503,endpoint=query,count=2``.

    ``record_ids`` takes ids joined by ``+``. The result is validated by :meth:`FaultPlan.add`.
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise FaultSpecError("empty fault spec; expected KIND[,key=value...]")
    spec: dict[str, Any] = {"kind": parts[0]}
    for part in parts[1:]:
        key, sep, raw = part.partition("=")
        if not sep or not key:
            raise FaultSpecError(f"expected key=value in fault spec, got {part!r}")
        key = key.strip()
        raw = raw.strip()
        value: Any
        if key in {"count", "latency_ms"}:
            try:
                value = int(raw)
            except ValueError as exc:
                raise FaultSpecError(f"{key} must be an integer, got {raw!r}") from exc
        elif key == "probability":
            try:
                value = float(raw)
            except ValueError as exc:
                raise FaultSpecError(f"probability must be a number, got {raw!r}") from exc
        elif key == "record_ids":
            value = [i for i in raw.split("+") if i]
        else:
            value = raw
        spec[key] = value
    return spec
