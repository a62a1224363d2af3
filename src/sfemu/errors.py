"""Salesforce API errors as sfemu raises and renders them."""

from __future__ import annotations

from typing import Any


class SalesforceError(Exception):
    """An error Salesforce would answer with: HTTP status, errorCode, message, fields.

    REST renders it as ``[{"message", "errorCode", "fields"}]``; sObject Collections render
    it as ``{"statusCode", "message", "fields"}`` inside a per-record result.
    """

    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        status: int = 400,
        fields: list[str] | None = None,
        include_fields: bool = True,
    ) -> None:
        """Keep the parts Salesforce puts in its error bodies."""
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        self.status = status
        self.fields = list(fields or [])
        self.include_fields = include_fields

    def rest_body(self) -> list[dict[str, Any]]:
        """Return the REST error body (a one-element array)."""
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.include_fields:
            item["fields"] = self.fields
        return [item]

    def collection_error(self) -> dict[str, Any]:
        """Return the error object used inside sObject Collections results."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields}

    def bulk_error(self) -> str:
        """Return the Bulk API 2.0 ``sf__Error`` cell text."""
        return f"{self.error_code}:{self.message}:{','.join(self.fields)} --"


def not_found() -> SalesforceError:
    """Return the error for an unknown resource or record."""
    return SalesforceError(
        "NOT_FOUND", "The requested resource does not exist", status=404, include_fields=False
    )


def entity_is_deleted() -> SalesforceError:
    """Return the error for a record in the recycle bin."""
    return SalesforceError("ENTITY_IS_DELETED", "entity is deleted", status=404)


def invalid_session() -> SalesforceError:
    """Return the error for a missing, expired or revoked access token."""
    return SalesforceError(
        "INVALID_SESSION_ID", "Session expired or invalid", status=401, include_fields=False
    )


class MultipleMatchesError(SalesforceError):
    """Upsert found several records with the external id: REST answers 300 with their URLs."""

    def __init__(self, field: str, value: str, ids: list[str]) -> None:
        """Keep the matching record ids so the REST layer can list their URLs."""
        super().__init__(
            "MULTIPLE_CHOICES",
            f"more than one record found for external id field {field}: {value}",
            status=300,
            fields=[field],
        )
        self.ids = list(ids)
