"""Authenticating a partner request by its API token, and the token lifecycle rules.

Nothing is cached: every request reads the token and its integration, so a revocation (of
the token or of the consent) takes effect on the very next request. A token is refused
when malformed (before any database lookup), unknown, revoked, expired, its integration's
consent revoked, or idle for longer than ``IDLE_LIMIT`` (and is then revoked for good).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth.partner_tokens import TokenHasher, parse_partner_token
from hrvault.auth.principal import Principal, PrincipalKind
from hrvault.db import bind_tenant
from hrvault.errors import Unauthenticated
from hrvault.models import Integration, PartnerToken

DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
IDLE_LIMIT = timedelta(days=30)
MAX_ROTATION_GRACE = timedelta(days=7)
VIA_PARTNER_TOKEN = "partner_token"  # noqa: S105 - a label, not a secret


class PartnerTokenIdle(Unauthenticated):
    """A token unused for too long: refused, and revoked in a transaction of its own."""

    def __init__(self, tenant_id: uuid.UUID, token_id: uuid.UUID, integration_id: uuid.UUID):
        super().__init__("the partner token was revoked after 30 days without use")
        self.tenant_id = tenant_id
        self.token_id = token_id
        self.integration_id = integration_id


@dataclass(frozen=True)
class PartnerCaller:
    principal: Principal
    integration: Integration


def idle_since(now: datetime) -> datetime:
    """Tokens last used (or, if never used, created) before this moment are idle."""
    return now - IDLE_LIMIT


async def authenticate_partner(
    db: AsyncSession, hasher: TokenHasher, raw_token: str, *, now: datetime, client_ip: str | None
) -> PartnerCaller:
    """The integration behind a live token; binds the transaction to the token's tenant."""
    token = parse_partner_token(raw_token)
    if token is None:
        raise Unauthenticated("the partner token is not valid")
    await bind_tenant(db, token.tenant_id)
    found = (
        await db.execute(
            select(PartnerToken, Integration)
            .join(
                Integration,
                (Integration.tenant_id == PartnerToken.tenant_id)
                & (Integration.id == PartnerToken.integration_id),
            )
            .where(
                PartnerToken.tenant_id == token.tenant_id,
                PartnerToken.token_hash == hasher.digest(token),
            )
        )
    ).first()
    if found is None:
        raise Unauthenticated("the partner token is not valid")
    row, integration = found
    if row.revoked_at is not None or integration.revoked_at is not None:
        raise Unauthenticated("the partner token was revoked")
    if row.expires_at <= now:
        raise Unauthenticated("the partner token has expired")
    if (row.last_used_at or row.created_at) <= idle_since(now):
        raise PartnerTokenIdle(token.tenant_id, row.id, integration.id)
    row.last_used_at = now
    row.last_used_ip = client_ip
    await db.flush()
    principal = Principal(
        kind=PrincipalKind.PARTNER,
        tenant_id=token.tenant_id,
        actor_id=integration.id,
        display_name=integration.partner_name,
        via_kind=VIA_PARTNER_TOKEN,
        via_id=row.id,
    )
    return PartnerCaller(principal, integration)


async def revoke_idle_token(db: AsyncSession, idle: PartnerTokenIdle, *, now: datetime) -> bool:
    """Mark one idle token revoked; False if something else revoked it first."""
    await bind_tenant(db, idle.tenant_id)
    result = await db.execute(
        update(PartnerToken)
        .where(
            PartnerToken.tenant_id == idle.tenant_id,
            PartnerToken.id == idle.token_id,
            PartnerToken.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason="idle")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
