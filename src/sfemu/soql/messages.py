"""SOQL errors worded and laid out as Salesforce words them (caret form, HTTP 400)."""

from __future__ import annotations

from sfemu.errors import SalesforceError
from sfemu.soql.ast import Pos

_CUSTOM_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
_CUSTOM_OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the entity "
    "name. Please reference your WSDL or the describe call for the appropriate names."
)
_CUSTOM_RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the "
    "custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


def caret_text(text: str, pos: Pos, detail: str) -> str:
    """Return ``detail`` under the query row with a caret at the column, as Salesforce does."""
    rows = text.split("\n")
    row = rows[pos.line - 1] if 0 < pos.line <= len(rows) else ""
    pad = " " * max(pos.column - 1, 0)
    return f"\n{row}\n{pad}^\nERROR at Row:{pos.line}:Column:{pos.column}\n{detail}"


def query_error(code: str, text: str, pos: Pos, detail: str) -> SalesforceError:
    """Return a 400 query error with the caret annotation and no ``fields`` key."""
    return SalesforceError(code, caret_text(text, pos, detail), include_fields=False)


def malformed(text: str, pos: Pos, detail: str) -> SalesforceError:
    """Return MALFORMED_QUERY for a syntax problem at ``pos``."""
    return query_error("MALFORMED_QUERY", text, pos, detail)


def unexpected_token(text: str, pos: Pos, token: str) -> SalesforceError:
    """Return MALFORMED_QUERY for a token the grammar does not allow there."""
    return malformed(text, pos, f"unexpected token: '{token}'")


def no_such_column(text: str, pos: Pos, name: str, entity: str) -> SalesforceError:
    """Return INVALID_FIELD for a field the object does not have."""
    detail = f"No such column '{name}' on entity '{entity}'. {_CUSTOM_FIELD_HINT}"
    return query_error("INVALID_FIELD", text, pos, detail)


def bad_relationship(text: str, pos: Pos, name: str) -> SalesforceError:
    """Return INVALID_FIELD for a relationship name the object does not have."""
    detail = f"Didn't understand relationship '{name}' in field path. {_CUSTOM_RELATIONSHIP_HINT}"
    return query_error("INVALID_FIELD", text, pos, detail)


def unsupported_sobject(text: str, pos: Pos, name: str) -> SalesforceError:
    """Return INVALID_TYPE for an object the org does not have."""
    detail = f"sObject type '{name}' is not supported. {_CUSTOM_OBJECT_HINT}"
    return query_error("INVALID_TYPE", text, pos, detail)


def wrong_value_type(
    text: str, pos: Pos, field: str, type_name: str, *, quoted: bool
) -> SalesforceError:
    """Return INVALID_FIELD for a literal of the wrong kind for its field."""
    quotes = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    detail = (
        f"value of filter criterion for field '{field}' must be of type {type_name} and {quotes}"
    )
    return query_error("INVALID_FIELD", text, pos, detail)


def bad_operator(text: str, pos: Pos, detail: str) -> SalesforceError:
    """Return INVALID_QUERY_FILTER_OPERATOR for an operator the field type does not take."""
    return query_error("INVALID_QUERY_FILTER_OPERATOR", text, pos, detail)
