"""``/api/v1/tokens``: API tokens for the contact center's integrations (admins only).

A token is shown once, when created; the store keeps only its SHA-256 digest. SHA-256 (not
argon2) fits because a token is 32 random bytes: there is nothing to guess, and checking it on
every API call must stay cheap.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from ringsync.errors import NotFoundError
from ringsync.web import auth_store
from ringsync.web.deps import ContextDep, CurrentAdmin, ReadSessionDep, SessionDep
from ringsync.web.security import digest, new_api_token

router = APIRouter(tags=["tokens"])
_PREFIX_LENGTH = 9


class TokenBody(BaseModel):
    """What to call the new token (for example the integration that will use it)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    """A token's public part: its id, name and first characters."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: auth_store.TokenRow) -> TokenOut:
        """Build from a stored row."""
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


class NewTokenOut(TokenOut):
    """A just-created token, with the secret itself (shown this once only)."""

    token: str


class TokenList(BaseModel):
    """The account's tokens."""

    items: list[TokenOut]


@router.post("/tokens", status_code=201, response_model=NewTokenOut)
def create_token(
    body: TokenBody, admin: CurrentAdmin, ctx: ContextDep, session: SessionDep
) -> NewTokenOut:
    """Create a token; copy it now, it cannot be shown again."""
    token = new_api_token()
    row = auth_store.add_token(
        session,
        account_id=admin.account_id,
        name=body.name.strip(),
        digest=digest(token),
        prefix=token[:_PREFIX_LENGTH],
        created_by=admin.user_id,
        created_at=ctx.clock.now(),
    )
    return NewTokenOut(**TokenOut.of(row).model_dump(), token=token)


@router.get("/tokens", response_model=TokenList)
def list_tokens(admin: CurrentAdmin, session: ReadSessionDep) -> TokenList:
    """List the account's tokens (never their secrets)."""
    return TokenList(
        items=[TokenOut.of(r) for r in auth_store.list_tokens(session, admin.account_id)]
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: int, admin: CurrentAdmin, ctx: ContextDep, session: SessionDep
) -> Response:
    """Revoke a token: calls made with it are refused from now on."""
    if not auth_store.revoke_token(session, admin.account_id, token_id, ctx.clock.now()):
        raise NotFoundError(f"token {token_id} does not exist", account_id=admin.account_id)
    return Response(status_code=204)
