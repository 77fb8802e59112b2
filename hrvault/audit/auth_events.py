"""Authentication events that must be recorded even though their request fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hrvault.audit.chain import append, append_independently
from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.auth.sessions import LoginFailed, NewSession, SessionEnded, login, revoke_session
from hrvault.config import Secret
from hrvault.db import bind_tenant
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.resolvers.context import RequestContext

ADMIN = FieldGroup.ADMINISTRATION.value


async def open_session(
    ctx: RequestContext, tenant_slug: str, email: str, password: Secret
) -> NewSession:
    """Log in, in a transaction of its own: the session and its audit record commit together,
    in the login's tenant, whatever tenant (if any) the rest of the request is bound to."""
    now = ctx.clock.now()
    async with ctx.sessions() as db:
        opened = await login(
            db,
            tenant_slug=tenant_slug,
            email=email,
            password=password,
            now=now,
            client_ip=ctx.client_ip,
            user_agent=ctx.user_agent,
        )
        entry = Entry("login", "Session", str(opened.session_id), subject_id=opened.employee_id)
        await append(
            db,
            opened.token.tenant_id,
            [entry],
            actor=Actor(ActorKind.USER, opened.user_id, opened.email),
            origin=ctx.origin("login"),
            now=now,
        )
        await db.commit()
    return opened


async def record_session_end(ctx: RequestContext, ended: SessionEnded) -> None:
    """Close the expired session and record it once, in a transaction of its own."""
    now = ctx.clock.now()
    async with ctx.sessions() as db:
        await bind_tenant(db, ended.tenant_id)
        await revoke_session(db, ended.tenant_id, ended.session_id, now=now)
        await db.commit()
    await append_independently(
        ctx.sessions,
        ended.tenant_id,
        [Entry("session_expired", "Session", str(ended.session_id))],
        actor=Actor(ActorKind.USER, ended.user_id, "session expiry"),
        origin=ctx.origin(),
        now=now,
    )


async def record_failed_login(ctx: RequestContext, failed: LoginFailed, email: str) -> None:
    """A refused login of a known tenant goes into that tenant's chain."""
    if failed.tenant_id is None:
        return
    await append_independently(
        ctx.sessions,
        failed.tenant_id,
        [
            Entry(
                "login_failed",
                "User",
                str(failed.user_id) if failed.user_id else None,
                changes=(Change("email", ADMIN, None, email[:254]),),
            )
        ],
        actor=Actor(ActorKind.USER, failed.user_id, email[:200]),
        origin=ctx.origin("login"),
        now=ctx.clock.now(),
    )
