"""Support staff sessions: the password step of a login, recorded in the staff audit log."""

from __future__ import annotations

from hrvault.audit.records import Actor, ActorKind
from hrvault.audit.staff_events import record_staff_event
from hrvault.auth import staff
from hrvault.config import Secret
from hrvault.resolvers.context import RequestContext


async def log_in(ctx: RequestContext, email: str, password: Secret) -> staff.NewStaffSession:
    now = ctx.clock.now()
    opened = await staff.staff_login(ctx.db, email=email, password=password, now=now)
    await record_staff_event(
        ctx.db,
        opened.staff_id,
        "login",
        actor=Actor(ActorKind.SUPPORT, opened.staff_id, opened.name),
        now=now,
        origin=ctx.origin("staffLogin"),
        details={"next_step": opened.stage.value},
    )
    return opened
