"""Serve the SOAP partner API ``login`` call (POST /services/Soap/u/{version}).

simple-salesforce and jsforce log in with it when given a username and password.

Only the login call is served. The body is parsed with the standard library's expat-based
parser (which resolves no external entities) and answered from escaped templates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfemu.state import API_VERSIONS, base_url, emulator_state

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
INVALID_LOGIN_MESSAGE = "Invalid username, password, security token; or user locked out."
MAX_LOGIN_BODY = 64 * 1024

_ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns="urn:partner.soap.sforce.com"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soapenv:Body>"
)
_ENVELOPE_CLOSE = "</soapenv:Body></soapenv:Envelope>"


def soap_fault(code: str, message: str, *, fault_type: str = "LoginFault") -> Response:
    """Render a SOAP fault with ``sf:exceptionCode`` / ``sf:exceptionMessage`` (HTTP 500)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:sf="urn:fault.partner.soap.sforce.com"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>sf:{escape(code)}</faultcode>"
        f"<faultstring>{escape(code)}: {escape(message)}</faultstring>"
        f'<detail><sf:{fault_type} xsi:type="sf:{fault_type}">'
        f"<sf:exceptionCode>{escape(code)}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        f"</sf:{fault_type}></detail>"
        "</soapenv:Fault>" + _ENVELOPE_CLOSE
    )
    return Response(body, status_code=500, media_type=XML_CONTENT_TYPE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_login(raw: bytes) -> tuple[str, str] | None:
    """Return (username, password) from a login envelope, or None when it is not a login."""
    try:
        root = ET.fromstring(raw)  # noqa: S314 -- expat resolves no external entities; size capped
    except ET.ParseError:
        return None
    for element in root.iter():
        if _local(element.tag) == "login":
            values = {_local(child.tag): (child.text or "") for child in element}
            return values.get("username", ""), values.get("password", "")
    return None


def _el(name: str, value: Any) -> str:
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


async def soap_endpoint(request: Request) -> Response:
    """Answer a SOAP ``login`` with a session, or an INVALID_LOGIN fault."""
    version = request.path_params["version"]
    if version not in API_VERSIONS:
        return soap_fault(
            "UNSUPPORTED_API_VERSION",
            f"Invalid Api version specified on URL: {version}",
            fault_type="UnexpectedErrorFault",
        )
    raw = await request.body()
    if len(raw) > MAX_LOGIN_BODY:
        return soap_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    credentials = parse_login(raw)
    if credentials is None:
        return soap_fault(
            "UNKNOWN_EXCEPTION",
            "sfemu serves only the SOAP login call",
            fault_type="UnexpectedErrorFault",
        )
    username, password = credentials
    state = emulator_state(request)
    org = state.org
    user = org.find_user_by_username(username.strip()) if username.strip() else None
    if (
        user is None
        or not user.get("IsActive", True)
        or not state.tokens.password_matches(str(user["Id"]), password, org.check_password)
    ):
        return soap_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    user_id = str(user["Id"])
    session = state.tokens.issue_session(
        user_id, "soap", "api", org.now(), state.config.session_seconds
    )
    base = base_url(request)
    first = user.get("FirstName") or ""
    full_name = user.get("Name") or f"{first} {user.get('LastName') or ''}".strip()
    result = "".join(
        [
            _el("metadataServerUrl", f"{base}/services/Soap/m/{version}/{org.org_id}"),
            _el("passwordExpired", False),
            _el("sandbox", False),
            _el("serverUrl", f"{base}/services/Soap/u/{version}/{org.org_id}"),
            _el("sessionId", session.token),
            _el("userId", user_id),
            "<userInfo>",
            _el("accessibilityMode", False),
            _el("chatterExternal", False),
            _el("currencySymbol", "$"),
            _el("orgAttachmentFileSizeLimit", 5242880),
            _el("orgDefaultCurrencyIsoCode", "USD"),
            _el("orgDefaultCurrencyLocale", "en_US"),
            _el("orgDisallowHtmlAttachments", False),
            _el("orgHasPersonAccounts", False),
            _el("organizationId", org.org_id),
            _el("organizationMultiCurrency", False),
            _el("organizationName", org.name),
            _el("profileId", user.get("ProfileId")),
            _el("roleId", user.get("UserRoleId")),
            _el("sessionSecondsValid", state.config.session_seconds),
            _el("userDefaultCurrencyIsoCode", None),
            _el("userEmail", user.get("Email")),
            _el("userFullName", full_name),
            _el("userId", user_id),
            _el("userLanguage", user.get("LanguageLocaleKey") or "en_US"),
            _el("userLocale", user.get("LocaleSidKey") or "en_US"),
            _el("userName", user.get("Username")),
            _el("userTimeZone", user.get("TimeZoneSidKey") or "America/Los_Angeles"),
            _el("userType", "Standard"),
            _el("userUiSkin", "Theme3"),
            "</userInfo>",
        ]
    )
    response = f"<loginResponse><result>{result}</result></loginResponse>"
    body = f"{_ENVELOPE_OPEN}{response}{_ENVELOPE_CLOSE}"
    return Response(body, status_code=200, media_type=XML_CONTENT_TYPE)


def soap_routes() -> list[BaseRoute]:
    """Return the SOAP login route."""
    return [Route("/services/Soap/u/{version}", soap_endpoint, methods=["POST"])]
