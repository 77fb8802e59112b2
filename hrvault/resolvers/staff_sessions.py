"""Support staff sessions: the password step of a login, and logging out (this session,
or every session of the staff member).

Each is recorded in the staff audit log. A logout made while acting under a tenant's
grant is also recorded in that tenant's chain, with the grant, like all staff do there.
"""

from __future__ import annotations

from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.audit.staff_events import record_staff_event
from hrvault.audit.system import ADMIN
from hrvault.auth import staff
from hrvault.config import Secret
from hrvault.resolvers.context import RequestContext


async def _record(
    ctx: RequestContext, caller: staff.StaffCaller, action: str, ended: int | None = None
) -> None:
    details = {} if ended is None else {"sessions_ended": ended}
    await record_staff_event(
        ctx.db,
        caller.staff_id,
        action,
        actor=Actor(ActorKind.SUPPORT, caller.staff_id, caller.name),
        now=ctx.clock.now(),
        origin=ctx.origin(),
        details=details,
    )
    if ctx.principal is not None:  # acting under a live grant of this tenant
        changes = () if ended is None else (Change("sessions_ended", ADMIN, None, ended),)
        ctx.audit.add(Entry(action, "StaffSession", str(caller.session_id), changes=changes))


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


async def log_out(ctx: RequestContext) -> None:
    """End the caller's staff session at once, at any stage, with or without a grant."""
    caller = ctx.require_staff_session()
    await staff.end_staff_session(ctx.db, caller, now=ctx.clock.now())
    await _record(ctx, caller, "logout")


async def log_out_everywhere(ctx: RequestContext) -> int:
    """End every session of the calling staff member, this one included."""
    caller = ctx.require_staff_session()
    ended = await staff.end_all_staff_sessions(ctx.db, caller.staff_id, now=ctx.clock.now())
    await _record(ctx, caller, "logout_everywhere", ended)
    return ended
