"""``POST /api/v1/events``: the contact center reports a call that ended or a text sent/received.

Every event needs an idempotency key (header ``Idempotency-Key`` or field ``idempotency_key``).
The key is the activity's external id, unique per account, so a retried event is counted once
and gets the same answer (with ``Idempotent-Replayed: true``). A key reused for a different
event is refused with 409. After the commit the runner is woken so the tracking fields reach
Salesforce soon; the outbox row makes the wake-up an optimisation, not a requirement.
Events are rate limited per account and per API token (token buckets sized for a contact
center, ``RINGSYNC_RATE_LIMIT_EVENTS_*``); a refused event answers 429 with ``Retry-After``
before anything is written, so sending it again later records it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.domain.activities import MAX_EXTERNAL_ID, record_activity
from ringsync.domain.contacts import find_contact_by_phone, get_contact
from ringsync.domain.phones import mask_raw
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.tables import Activity
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


def _contact_id(session: Session, account_id: int, body: EventBody) -> int:
    if body.contact_id is not None:
        return get_contact(session, account_id, body.contact_id).id
    assert body.phone is not None
    found = find_contact_by_phone(session, account_id, body.phone)
    if found is None:
        raise NotFoundError(
            f"no contact has phone {mask_raw(body.phone)}; create it first", account_id=account_id
        )
    return found.id


def _stored(session: Session, account_id: int, key: str) -> Activity:
    stmt = select(Activity).where(Activity.account_id == account_id, Activity.external_id == key)
    return session.scalars(stmt).one()


def _same_event(stored: Activity, contact_id: int, event: ActivityEvent) -> bool:
    return (
        stored.contact_id == contact_id
        and stored.kind == event.kind.value
        and stored.direction == event.direction.value
        and stored.occurred_at == event.occurred_at.astimezone(UTC)
    )


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
        contact_id = _contact_id(session, caller.account_id, body)
        result = record_activity(session, caller.account_id, contact_id, event, clock=ctx.clock)
        if result.duplicate:
            stored = _stored(session, caller.account_id, key)
            if not _same_event(stored, contact_id, event):
                raise ConflictError(
                    "this idempotency key was already used for a different event",
                    account_id=caller.account_id,
                )
            activity_id = stored.id
        else:
            assert result.activity_id is not None
            activity_id = result.activity_id
    if result.duplicate:
        response.headers[REPLAYED_HEADER] = "true"
    else:
        ctx.wake(caller.account_id)
    return EventOut(id=activity_id, contact_id=contact_id, type=body.type, idempotency_key=key)
