"""The /__sfemu/ admin API: statistics, faults, limits, schema, clock, apps and resets.

Plain JSON, no authentication: it drives the emulator from tests, benchmarks and the demo,
and is not part of the Salesforce API. Errors answer ``{"error": "..."}`` with HTTP 400
(404 for an unknown fault rule, 409 when the org cannot do what was asked).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfemu.errors import SalesforceError
from sfemu.faults import FaultSpecError
from sfemu.http import error_response, json_response, parse_json_bytes
from sfemu.oauth import ConnectedApp
from sfemu.state import EmulatorState, emulator_state


class AdminError(Exception):
    """A bad admin request; rendered as ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400) -> None:
        """Keep the message and HTTP status."""
        super().__init__(message)
        self.message = message
        self.status = status


def _fail(exc: AdminError) -> Response:
    return json_response({"error": exc.message}, status=exc.status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = parse_json_bytes(raw)
    except SalesforceError as exc:
        raise AdminError(f"the body is not valid JSON: {exc.message}") from exc
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def _int(data: dict[str, Any], key: str, *, minimum: int = 0) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AdminError(f"{key} must be an integer >= {minimum}")
    return value


def _str(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise AdminError(f"{key} is required (a non-empty string)")
    return value


def admin_handler(func: Any) -> Any:
    """Wrap an admin handler so AdminError and SalesforceError render as responses."""

    async def endpoint(request: Request) -> Response:
        try:
            result: Response = await func(request, emulator_state(request))
        except AdminError as exc:
            return _fail(exc)
        except FaultSpecError as exc:
            return _fail(AdminError(str(exc)))
        except SalesforceError as exc:
            return error_response(exc)
        return result

    endpoint.__name__ = func.__name__
    endpoint.__doc__ = func.__doc__
    return endpoint


async def get_stats(_request: Request, state: EmulatorState) -> Response:
    """Return every counter."""
    return json_response(state.stats.snapshot(state.org.daily_api_limit))


async def reset_stats(_request: Request, state: EmulatorState) -> Response:
    """Zero the traffic counters (daily API usage is kept)."""
    state.stats.reset()
    return json_response(state.stats.snapshot(state.org.daily_api_limit))


async def list_faults(_request: Request, state: EmulatorState) -> Response:
    """List the fault rules."""
    return json_response({"faults": state.faults.describe()})


async def add_faults(request: Request, state: EmulatorState) -> Response:
    """Add one rule (a spec object) or several (``{"faults": [...]}``); ``seed`` reseeds."""
    data = await _body(request)
    if "seed" in data:
        state.faults.reseed(_int(data, "seed"))
        data = {k: v for k, v in data.items() if k != "seed"}
    specs = data.get("faults", [data] if data else [])
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise AdminError("faults must be a list of fault objects")
    added = [state.faults.add(spec).as_dict() for spec in specs]
    return json_response({"faults": added}, status=201)


async def clear_faults(_request: Request, state: EmulatorState) -> Response:
    """Remove every fault rule."""
    state.faults.clear()
    return json_response({"faults": []})


async def delete_fault(request: Request, state: EmulatorState) -> Response:
    """Remove one fault rule by id."""
    rule_id = request.path_params["rule_id"]
    if not state.faults.remove(rule_id):
        raise AdminError(f"no fault rule {rule_id}", status=404)
    return json_response({"faults": state.faults.describe()})


async def set_limits(request: Request, state: EmulatorState) -> Response:
    """Set the daily API limit and/or the usage counted so far."""
    data = await _body(request)
    limit = _int(data, "daily_api_limit", minimum=1)
    used = _int(data, "used")
    now = state.org.now()
    if limit is not None:
        state.org.daily_api_limit = limit
    if used is not None:
        state.stats.set_daily_used(used, now)
    return json_response(
        {"daily_api_limit": state.org.daily_api_limit, "used": state.stats.daily_used}
    )


async def add_custom_field(request: Request, state: EmulatorState) -> Response:
    """Define a custom field on an object."""
    data = await _body(request)
    sobject = _str(data, "sobject")
    name = _str(data, "name")
    type_ = _str(data, "type")
    attrs = {k: v for k, v in data.items() if k not in ("sobject", "name", "type")}
    assert sobject is not None
    assert name is not None
    assert type_ is not None
    try:
        field = state.org.add_custom_field(sobject, name, type_, **attrs)
    except (ValueError, TypeError) as exc:
        raise AdminError(str(exc)) from exc
    return json_response({"sobject": sobject, "name": field.name, "type": field.type}, status=201)


async def convert_lead(request: Request, state: EmulatorState) -> Response:
    """Convert a lead as a Salesforce user would in the UI."""
    data = await _body(request)
    lead_id = _str(data, "leadId")
    assert lead_id is not None
    result = state.org.convert_lead(
        lead_id,
        account_id=_str(data, "accountId", required=False),
        contact_id=_str(data, "contactId", required=False),
        converted_status=_str(data, "convertedStatus", required=False),
        user_id=_str(data, "as_user", required=False),
    )
    return json_response(result)


async def edit_record(request: Request, state: EmulatorState) -> Response:
    """Change a record as another Salesforce user (``as_user``) would."""
    data = await _body(request)
    values = data.get("values")
    if not isinstance(values, dict) or not values:
        raise AdminError("values must be a non-empty object of field: value")
    sobject = request.path_params["sobject"]
    record_id = request.path_params["record_id"]
    state.org.update(sobject, record_id, values, user_id=_str(data, "as_user", required=False))
    return json_response({"id": state.org.normalize_id(record_id), "success": True})


async def add_validation_rule(request: Request, state: EmulatorState) -> Response:
    """Add a declarative validation rule (``{"sobject", "name", "field", "operator", ...}``)."""
    data = await _body(request)
    adder = getattr(state.org, "add_validation_rule_spec", None)
    if adder is None:
        raise AdminError("this org does not support validation rules", status=409)
    sobject = _str(data, "sobject")
    spec = {k: v for k, v in data.items() if k != "sobject"}
    try:
        adder(sobject, spec)
    except (ValueError, TypeError, KeyError) as exc:
        raise AdminError(str(exc)) from exc
    return json_response({"sobject": sobject, "rule": spec}, status=201)


async def move_clock(request: Request, state: EmulatorState) -> Response:
    """Move the org's clock forward by ``advance_seconds``."""
    data = await _body(request)
    seconds = data.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise AdminError("advance_seconds must be a number >= 0")
    advance = getattr(state.org, "advance_clock", None)
    if advance is None:
        advance = getattr(_org_clock(state), "advance", None)
    if advance is None:
        raise AdminError("this org's clock cannot be moved", status=409)
    advance(seconds)
    return json_response({"now": state.org.now().isoformat()})


def _org_clock(state: EmulatorState) -> Any:
    for name in ("clock", "_clock"):
        clock = getattr(state.org, name, None)
        if clock is not None:
            return clock
    return None


async def register_app(request: Request, state: EmulatorState) -> Response:
    """Register a connected app (consumer key/secret, redirect URIs, JWT key, run-as user)."""
    data = await _body(request)
    client_id = _str(data, "client_id")
    client_secret = _str(data, "client_secret")
    assert client_id is not None
    assert client_secret is not None
    redirect_uris = data.get("redirect_uris", [])
    if not isinstance(redirect_uris, list) or not all(isinstance(u, str) for u in redirect_uris):
        raise AdminError("redirect_uris must be a list of URLs")
    public_key = _str(data, "jwt_public_key", required=False)
    if public_key is not None:
        _check_public_key(public_key)
    run_as = _str(data, "run_as_username", required=False)
    run_as_id = _str(data, "run_as_user_id", required=False)
    if run_as is not None:
        user = state.org.find_user_by_username(run_as)
        if user is None:
            raise AdminError(f"no user named {run_as}")
        run_as_id = str(user["Id"])
    app = state.tokens.register_app(
        ConnectedApp(
            client_id,
            client_secret,
            name=_str(data, "name", required=False) or client_id,
            redirect_uris=list(redirect_uris),
            jwt_public_key=public_key,
            run_as_user_id=run_as_id,
        )
    )
    return json_response(app.as_dict(), status=201)


def _check_public_key(pem: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        if "BEGIN CERTIFICATE" in pem:
            x509.load_pem_x509_certificate(pem.encode())
        else:
            load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise AdminError("jwt_public_key must be a PEM public key or X.509 certificate") from exc


async def list_apps(_request: Request, state: EmulatorState) -> Response:
    """List the connected apps (without secrets)."""
    return json_response({"apps": [a.as_dict() for a in state.tokens.apps.values()]})


async def expire_sessions(_request: Request, state: EmulatorState) -> Response:
    """End every access token (refresh tokens keep working)."""
    return json_response({"expired": state.tokens.expire_all()})


async def reset_org(request: Request, state: EmulatorState) -> Response:
    """Replace the org with a fresh one, optionally seeded (``leads``, ``contacts``, ...)."""
    from sfemu.admin_reset import rebuild_org

    data = await _body(request)
    counts = {k: _int(data, k) for k in ("leads", "contacts", "users", "seed")}
    rebuild_org(state, {k: v for k, v in counts.items() if v is not None})
    return json_response({"org_id": state.org.org_id, "reset": True})


def admin_routes() -> list[BaseRoute]:
    """Return the admin API routes."""

    def route(path: str, func: Any, method: str) -> Route:
        return Route(f"/__sfemu{path}", admin_handler(func), methods=[method])

    return [
        route("/stats", get_stats, "GET"),
        route("/stats/reset", reset_stats, "POST"),
        route("/faults", list_faults, "GET"),
        route("/faults", add_faults, "POST"),
        route("/faults", clear_faults, "DELETE"),
        route("/faults/{rule_id}", delete_fault, "DELETE"),
        route("/limits", set_limits, "POST"),
        route("/custom-fields", add_custom_field, "POST"),
        route("/convert-lead", convert_lead, "POST"),
        route("/records/{sobject}/{record_id}/edit", edit_record, "POST"),
        route("/validation-rules", add_validation_rule, "POST"),
        route("/reset", reset_org, "POST"),
        route("/clock", move_clock, "POST"),
        route("/apps", register_app, "POST"),
        route("/apps", list_apps, "GET"),
        route("/sessions/expire", expire_sessions, "POST"),
    ]
