"""Issuing, rotating, revoking and listing an integration's API tokens.

A token is shown once, at creation (or rotation); the database keeps only its keyed hash
and a short display prefix. Every token expires (90 days unless asked otherwise, at most
a year). Rotation issues a new token and lets the old one live on for a grace period of at
most seven days, so the partner can switch over without an outage.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from hrvault.audit.records import Change, Entry
from hrvault.auth.partner_tokens import new_partner_token
from hrvault.auth.partners import DEFAULT_LIFETIME, MAX_LIFETIME, MAX_ROTATION_GRACE
from hrvault.auth.step_up import require_step_up_for_integrations
from hrvault.config import Secret
from hrvault.errors import bad_input
from hrvault.models import Integration, IntegrationAccess, PartnerToken
from hrvault.permissions.delegation import Act
from hrvault.permissions.partner_policy import consent_powers
from hrvault.resolvers import rows
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import FieldGroup

ADMIN = FieldGroup.ADMINISTRATION.value


@dataclass(frozen=True)
class IssuedToken:
    token: Secret
    row: PartnerToken


def _lifetime(days: int | None) -> timedelta:
    if days is None:
        return DEFAULT_LIFETIME
    lifetime = timedelta(days=days)
    if not timedelta(days=1) <= lifetime <= MAX_LIFETIME:
        raise bad_input("expiresInDays", f"must be between 1 and {MAX_LIFETIME.days} days")
    return lifetime


async def _active_integration(ctx: RequestContext, raw_id: str | uuid.UUID) -> Integration:
    integration = await rows.get_row(ctx, Integration, raw_id, "integrationId")
    if integration.revoked_at is not None:
        raise bad_input("integrationId", "this integration's consent was revoked")
    return integration


async def _issue(
    ctx: RequestContext,
    integration: Integration,
    expires_at: datetime,
    rotated_from: uuid.UUID | None,
    operation: str,
) -> IssuedToken:
    """A token carries the integration's whole consent to whoever holds it (and the issuer
    sees it once): only someone who holds that consent's powers may issue one."""
    user_id = require_step_up_for_integrations(ctx.require_principal(), ctx.clock.now())
    consent = consent_powers(
        (FieldGroup(c) for c in integration.categories), IntegrationAccess(integration.access)
    )
    ctx.require_delegation(consent, Act.HANDS_OUT, operation)
    token = new_partner_token(ctx.tenant_id)
    row = PartnerToken(
        id=uuid.uuid4(),
        tenant_id=ctx.tenant_id,
        integration_id=integration.id,
        token_hash=ctx.token_hasher.digest(token),
        display_prefix=token.display_prefix,
        created_at=ctx.clock.now(),
        created_by=user_id,
        expires_at=expires_at,
        rotated_from=rotated_from,
    )
    ctx.db.add(row)
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "create",
            "PartnerToken",
            str(row.id),
            changes=(
                Change("integration_id", ADMIN, None, str(integration.id)),
                Change("display_prefix", ADMIN, None, row.display_prefix),
                Change("expires_at", ADMIN, None, expires_at.isoformat()),
                Change("rotated_from", ADMIN, None, str(rotated_from) if rotated_from else None),
            ),
        )
    )
    return IssuedToken(token.value, row)


async def create_token(
    ctx: RequestContext, integration_id: str, expires_in_days: int | None
) -> IssuedToken:
    integration = await _active_integration(ctx, integration_id)
    expires_at = ctx.clock.now() + _lifetime(expires_in_days)
    return await _issue(ctx, integration, expires_at, None, "createPartnerToken")


async def _live_token(ctx: RequestContext, raw_id: str) -> PartnerToken:
    token = await rows.get_row(ctx, PartnerToken, raw_id, "id")
    if token.revoked_at is not None or token.expires_at <= ctx.clock.now():
        raise bad_input("id", "this token is already revoked or expired")
    return token


async def rotate_token(
    ctx: RequestContext, raw_id: str, grace_hours: int, expires_in_days: int | None
) -> IssuedToken:
    """A new token; the old one keeps working for ``grace_hours`` (at most 7 days), then not."""
    grace = timedelta(hours=grace_hours)
    if not timedelta(0) <= grace <= MAX_ROTATION_GRACE:
        raise bad_input("graceHours", f"must be between 0 and {MAX_ROTATION_GRACE.days * 24}")
    old = await _live_token(ctx, raw_id)
    integration = await _active_integration(ctx, old.integration_id)
    now = ctx.clock.now()
    issued = await _issue(
        ctx, integration, now + _lifetime(expires_in_days), old.id, "rotatePartnerToken"
    )
    before = old.expires_at
    old.expires_at = min(before, now + grace)
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "rotate",
            "PartnerToken",
            str(old.id),
            changes=(
                Change("expires_at", ADMIN, before.isoformat(), old.expires_at.isoformat()),
                Change("replaced_by", ADMIN, None, str(issued.row.id)),
            ),
        )
    )
    return issued


async def revoke_token(ctx: RequestContext, raw_id: str) -> PartnerToken:
    token = await _live_token(ctx, raw_id)
    token.revoked_at = ctx.clock.now()
    token.revoked_reason = "revoked"
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "revoke",
            "PartnerToken",
            str(token.id),
            changes=(Change("revoked_reason", ADMIN, None, "revoked"),),
        )
    )
    return token


async def list_tokens(ctx: RequestContext, integration_id: uuid.UUID) -> Sequence[PartnerToken]:
    return await ctx.reader.all(
        select(PartnerToken)
        .where(
            PartnerToken.tenant_id == ctx.tenant_id, PartnerToken.integration_id == integration_id
        )
        .order_by(PartnerToken.created_at.desc(), PartnerToken.id)
    )
