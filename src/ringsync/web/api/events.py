"""``POST /api/v1/events``: the contact center reports a call that ended or a text sent/received.

Every event needs an idempotency key (header ``Idempotency-Key`` or field ``idempotency_key``).
The key is the activity's external id, unique per account, so a retried event is counted once
and gets the same answer (with ``Idempotent-Replayed: true``). A key reused for a different
event is refused with 409. After the commit the runner is woken so the tracking fields reach
Salesforce soon; the outbox row makes the wake-up an optimisation, not a requirement.
Events are rate limited per account and per API token (token buckets sized for a contact
center, ``RINGSYNC_RATE_LIMIT_EVENTS_*``); a refused event answers 429 with ``Retry-After``
before anything is written, so sending it again later records it once.

``POST /api/v1/events/batch`` takes up to 500 such events (each with its own
``idempotency_key`` field) and records them in one transaction with set-based statements,
answering 207 with one result per event, in order: created, replayed, or an error (unknown
contact, validation problem, key reused for a different event) that never fails the others.
The rate limits count every event of a batch; a batch they cannot take is refused whole (429)
before anything is written. The runner is woken once per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic import ValidationError as SchemaError
from sqlalchemy import exc as sa_exc

from ringsync.domain.activities import (
    KEY_REUSED,
    MAX_BATCH,
    MAX_EXTERNAL_ID,
    BatchItem,
    EventOutcome,
    record_event,
    record_events,
)
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.errors import Problem, ValidationError
from ringsync.web.deps import ApiAccount, ContextDep
from ringsync.web.errors import ConflictError, error_response
from ringsync.web.ratelimit import RateLimitsDep

log = logging.getLogger(__name__)
REPLAYED_HEADER = "Idempotent-Replayed"
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "the database is unavailable, so the event was not recorded (or, if the connection broke "
    "while committing, may have been); retry with the same Idempotency-Key, it is counted once"
)


def _database_unavailable(exc: Exception) -> bool:
    """Tell whether ``exc`` means the store cannot be reached (worth retrying), not a bug."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


class _RetryWhenStoreDown(APIRoute):
    """Answer 503 with Retry-After when the store cannot be reached.

    This covers the route's dependencies (the API token is looked up in the database) as well
    as the handler. The event either committed or it did not; a client retrying with the same
    key gets the stored answer in the first case and records the event in the second, so an
    outage never turns into a lost or double-counted event. Anything else still reaches the
    error boundary.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler FastAPI builds (dependencies included)."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if not _database_unavailable(exc):
                    raise
                log.warning("event refused: database unavailable (%s)", type(exc).__name__)
                return error_response(
                    503,
                    "database_unavailable",
                    DATABASE_UNAVAILABLE,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )

        return guarded


router = APIRouter(tags=["events"], route_class=_RetryWhenStoreDown)


class EventType(StrEnum):
    """What happened."""

    CALL_ENDED = "call.ended"
    SMS_SENT = "sms.sent"
    SMS_RECEIVED = "sms.received"


class EventBody(BaseModel):
    """One event about a contact, named by ``contact_id`` or by ``phone``."""

    model_config = ConfigDict(extra="forbid")

    type: EventType
    occurred_at: AwareDatetime = Field(description="When it happened, with its UTC offset.")
    contact_id: int | None = None
    phone: str | None = Field(default=None, max_length=64)
    direction: ActivityDirection | None = Field(
        default=None, description="Calls only: inbound or outbound."
    )
    duration_seconds: int = Field(default=0, ge=0, le=7 * 24 * 3600)
    body: str | None = Field(default=None, description="Texts only: the message.")
    disposition: str | None = Field(default=None, max_length=80)
    idempotency_key: str | None = Field(default=None, max_length=MAX_EXTERNAL_ID)


class EventOut(BaseModel):
    """The recorded activity; identical for every retry with the same key."""

    id: int
    contact_id: int
    type: EventType
    idempotency_key: str


def _kind_and_direction(body: EventBody, problems: list[Problem]) -> tuple[ActivityKind, str]:
    if body.type is EventType.SMS_SENT:
        expected = ActivityDirection.OUTBOUND
    elif body.type is EventType.SMS_RECEIVED:
        expected = ActivityDirection.INBOUND
    else:
        if body.direction is None:
            problems.append(Problem("direction", "a call needs inbound or outbound", "required"))
        return ActivityKind.CALL, (body.direction or ActivityDirection.INBOUND).value
    if body.direction is not None and body.direction is not expected:
        problems.append(
            Problem("direction", f"{body.type.value} is always {expected.value}", "bad_choice")
        )
    return ActivityKind.SMS, expected.value


def _key(body: EventBody, header: str | None, problems: list[Problem]) -> str:
    key = (header or body.idempotency_key or "").strip()
    if header and body.idempotency_key and header.strip() != body.idempotency_key.strip():
        problems.append(
            Problem("idempotency_key", "differs from the Idempotency-Key header", "mismatch")
        )
    elif not key:
        problems.append(
            Problem(
                "idempotency_key",
                "send an Idempotency-Key header or an idempotency_key field",
                "required",
            )
        )
    elif len(key) > MAX_EXTERNAL_ID:
        problems.append(
            Problem("idempotency_key", f"at most {MAX_EXTERNAL_ID} characters", "too_long")
        )
    return key


def _check(body: EventBody, header: str | None) -> tuple[ActivityEvent, str]:
    problems: list[Problem] = []
    key = _key(body, header, problems)
    kind, direction = _kind_and_direction(body, problems)
    if (body.contact_id is None) == (body.phone is None):
        problems.append(
            Problem("contact_id", "give exactly one of contact_id or phone", "required")
        )
    if kind is ActivityKind.CALL and body.body is not None:
        problems.append(Problem("body", "only texts have a body", "not_allowed"))
    if problems:
        raise ValidationError("the event cannot be recorded", problems)
    event = ActivityEvent(
        external_id=key,
        kind=kind,
        direction=ActivityDirection(direction),
        occurred_at=body.occurred_at,
        body=body.body,
        disposition=body.disposition,
        duration_seconds=body.duration_seconds,
    )
    return event, key


@router.post("/events", status_code=201, response_model=EventOut)
def post_event(
    body: EventBody,
    caller: ApiAccount,
    ctx: ContextDep,
    limits: RateLimitsDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=MAX_EXTERNAL_ID)] = None,
) -> EventOut:
    """Record one call or text once, however often it is delivered."""
    limits.check_event(caller.account_id, caller.token_id)  # 429 before anything is written
    event, key = _check(body, idempotency_key)
    with ctx.database.write() as session:
        recorded = record_event(
            session,
            caller.account_id,
            event,
            contact_id=body.contact_id,
            phone=body.phone,
            clock=ctx.clock,
        )
        if recorded.conflict:
            raise ConflictError(KEY_REUSED, account_id=caller.account_id)
    assert recorded.activity_id is not None
    if recorded.duplicate:
        response.headers[REPLAYED_HEADER] = "true"
    else:
        ctx.wake(caller.account_id)
    return EventOut(
        id=recorded.activity_id, contact_id=recorded.contact_id, type=body.type, idempotency_key=key
    )


# --- batches ----------------------------------------------------------------------------------

_BATCH_ITEMS = WithJsonSchema(
    {
        "type": "array",
        "items": {"$ref": "#/components/schemas/EventBody"},
        "minItems": 1,
        "maxItems": MAX_BATCH,
        "description": (
            f"1 to {MAX_BATCH} events in the schema of POST /api/v1/events, each with its own "
            "idempotency_key; an event that does not fit the schema gets an error result."
        ),
    }
)


class EventBatchBody(BaseModel):
    """Up to 500 events; each is checked on its own, so one bad event fails only itself."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH), _BATCH_ITEMS]


class ProblemOut(BaseModel):
    """One thing wrong with an event: the field, why, and a machine-readable code."""

    field: str
    reason: str
    code: str


class EventErrorOut(BaseModel):
    """Why an event of a batch was not recorded (same codes as the single route's errors)."""

    code: str = Field(description="not_found, validation_error or conflict.")
    message: str
    details: list[ProblemOut] = Field(default_factory=list)


class EventResultOut(BaseModel):
    """The result of one event of a batch, at the event's position."""

    index: int = Field(description="The event's position in the batch, from 0.")
    status: Literal["created", "replayed", "error"]
    id: int | None = Field(default=None, description="The activity (created or replayed).")
    contact_id: int | None = None
    type: EventType | None = None
    idempotency_key: str | None = None
    error: EventErrorOut | None = None


class EventBatchOut(BaseModel):
    """Counts and one result per event, in the order sent."""

    created: int
    replayed: int
    failed: int
    results: list[EventResultOut]


def _schema_problems(exc: SchemaError) -> list[Problem]:
    return [
        Problem(".".join(str(p) for p in e["loc"]) or "event", str(e["msg"]), str(e["type"]))
        for e in exc.errors()
    ]


def _batch_item(raw: Any) -> tuple[BatchItem, EventBody | None]:
    try:
        body = EventBody.model_validate(raw)
    except SchemaError as exc:
        error = ValidationError("the event is not valid", _schema_problems(exc))
        return BatchItem(None, error=error), None
    try:
        event, _key = _check(body, None)
    except ValidationError as exc:
        return BatchItem(None, error=exc), body
    return BatchItem(event, contact_id=body.contact_id, phone=body.phone), body


def _result(index: int, outcome: EventOutcome, body: EventBody | None) -> EventResultOut:
    error = None
    if outcome.status == "error":
        error = EventErrorOut(
            code=outcome.code or "error",
            message=outcome.message or "the event was not recorded",
            details=[ProblemOut(**p.as_dict()) for p in outcome.problems],
        )
    key = (body.idempotency_key or "").strip() or None if body is not None else None
    return EventResultOut(
        index=index,
        status=outcome.status,
        id=outcome.activity_id,
        contact_id=outcome.contact_id if outcome.status != "error" else None,
        type=body.type if body is not None else None,
        idempotency_key=key,
        error=error,
    )


@router.post(
    "/events/batch",
    status_code=207,
    response_model=EventBatchOut,
    responses={
        207: {"description": "One result per event, in order (created, replayed or error)."},
        429: {"description": "The rate limits cannot take every event; nothing was recorded."},
        503: {"description": "The database is unavailable; retry the same batch."},
    },
)
def post_event_batch(
    batch: EventBatchBody, caller: ApiAccount, ctx: ContextDep, limits: RateLimitsDep
) -> EventBatchOut:
    """Record up to 500 calls or texts in one transaction, each once however often it is sent.

    Each event follows the schema of ``POST /api/v1/events`` and carries its own
    ``idempotency_key`` field (the ``Idempotency-Key`` header is not used here). The answer is
    207 with one result per event, in the order sent: ``created``, ``replayed`` (the key was
    recorded before for the same event; ``id`` is the stored activity) or ``error`` with a code
    (``not_found`` for an unknown contact, ``validation_error`` with details, ``conflict`` for a
    key already used for a different event). A bad event never fails the others. Events of one
    contact are applied in the order sent, so the contact's totals and last-call fields equal
    sending them one by one; one outbox row is written per contact. The rate limits count every
    event of the batch, and a batch they cannot take is refused whole with 429 and
    ``Retry-After`` before anything is written. A body over the 1 MB request limit is refused
    (500 events fit when their texts average under about 1.5 KB). Retrying a whole batch after
    a 503 or a lost answer is safe: recorded events come back as ``replayed``.
    """
    limits.check_event(caller.account_id, caller.token_id, len(batch.events))  # 429 first
    parsed = [_batch_item(raw) for raw in batch.events]
    with ctx.database.write() as session:
        outcomes = record_events(
            session, caller.account_id, [item for item, _ in parsed], clock=ctx.clock
        )
    results = [
        _result(index, outcome, body)
        for index, (outcome, (_, body)) in enumerate(zip(outcomes, parsed, strict=True))
    ]
    created = sum(r.status == "created" for r in results)
    replayed = sum(r.status == "replayed" for r in results)
    if created:
        ctx.wake(caller.account_id)
    return EventBatchOut(
        created=created,
        replayed=replayed,
        failed=len(results) - created - replayed,
        results=results,
    )
