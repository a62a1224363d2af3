"""What the connection section shows first: connected or not, to which org, and how.

The connection itself (OAuth with PKCE, tokens encrypted at rest) is made through the admin
API; the page then asks ``GET /api/v1/admin/integration`` for the live status, which adds the
API budget used (it is known only once ringsync has talked to Salesforce).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ringsync.domain.connections import ConnectionView, get_connection

DEFAULT_LOGIN_URL = "login.salesforce.com"


@dataclass(frozen=True)
class ConnectionSection:
    """The stored connection (never a secret) and the connect form's defaults."""

    connection: ConnectionView | None
    login_url: str
    client_id: str

    @property
    def connected(self) -> bool:
        """Tell whether the account has a stored connection."""
        return self.connection is not None


def connection_view(session: Session, account_id: int) -> ConnectionSection:
    """Return the account's connection and what to prefill in the connect form."""
    found = get_connection(session, account_id)
    if found is None:
        return ConnectionSection(None, DEFAULT_LOGIN_URL, "")
    return ConnectionSection(found, found.login_url, found.client_id)


__all__ = ["DEFAULT_LOGIN_URL", "ConnectionSection", "connection_view"]
