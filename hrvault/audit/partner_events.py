"""Partner token events that must be recorded although their request fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hrvault.audit.chain import append_independently
from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.auth.partners import PartnerTokenIdle, revoke_idle_token
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.resolvers.context import RequestContext

ADMIN = FieldGroup.ADMINISTRATION.value


def idle_revocation(token_id: str) -> Entry:
    return Entry(
        "revoke", "PartnerToken", token_id, changes=(Change("revoked_reason", ADMIN, None, "idle"),)
    )


async def record_idle_token(ctx: RequestContext, idle: PartnerTokenIdle) -> None:
    """Revoke the idle token for good and record it once, each in its own transaction."""
    now = ctx.clock.now()
    async with ctx.sessions() as db:
        revoked = await revoke_idle_token(db, idle, now=now)
        await db.commit()
    if revoked:
        await append_independently(
            ctx.sessions,
            idle.tenant_id,
            [idle_revocation(str(idle.token_id))],
            actor=Actor(ActorKind.SYSTEM, None, "partner token idle limit"),
            origin=ctx.origin(),
            now=now,
        )
