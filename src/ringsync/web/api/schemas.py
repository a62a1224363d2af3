"""Response bodies shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ringsync.domain.contacts import ContactView
from ringsync.domain.users import UserView


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    email: str
    name: str
    role: str
    status: str
    kind: str
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        """Build from the domain view."""
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            status=user.status.value,
            kind=user.kind.value,
            has_password=user.has_password,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class ContactOut(BaseModel):
    """A contact: its property values by name, and its version."""

    id: int
    values: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: ContactView) -> ContactOut:
        """Build from the domain view."""
        return cls(
            id=contact.id,
            values=dict(contact.values),
            version=contact.version,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        )


__all__ = ["ContactOut", "UserOut"]
