"""TOTP for the caller: enrol, complete a two-step login, step up, disable; and the admin
reset. One module for users and staff: the account behind the session decides which."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.audit.staff_events import record_staff_event
from hrvault.audit.system import ADMIN
from hrvault.auth import sessions, staff, totp
from hrvault.auth.principal import Principal, SessionStage
from hrvault.auth.second_factor import SecondFactor
from hrvault.auth.seed_sealing import SeedOwner
from hrvault.config import Secret
from hrvault.errors import Conflict, TotpRequired, not_found
from hrvault.models import User
from hrvault.permissions.delegation import Act
from hrvault.permissions.powers import powers_of_user
from hrvault.resolvers.context import RequestContext


@dataclass(frozen=True)
class Renewed:
    token: Secret
    recovery_codes: tuple[Secret, ...] = ()


def _factor(ctx: RequestContext, caller: Principal | staff.StaffCaller) -> SecondFactor:
    if isinstance(caller, staff.StaffCaller):
        owner = SeedOwner(None, caller.staff_id)
    else:
        if caller.actor_id is None:
            raise not_found("user")
        owner = SeedOwner(caller.tenant_id, caller.actor_id)
    return SecondFactor(ctx.db, ctx.throttle, ctx.seeds, owner, ctx.client_ip)


async def _record(ctx: RequestContext, action: str, caller: Principal | staff.StaffCaller) -> None:
    """User events go to the tenant's chain; staff accounts belong to no tenant, so
    theirs go to the staff audit log."""
    if isinstance(caller, Principal):
        ctx.audit.add(Entry(action, "User", str(caller.actor_id), subject_id=caller.employee_id))
        return
    await record_staff_event(
        ctx.db,
        caller.staff_id,
        action,
        actor=Actor(ActorKind.SUPPORT, caller.staff_id, caller.name),
        now=ctx.clock.now(),
        origin=ctx.origin(),
    )


async def start_enrollment(ctx: RequestContext) -> totp.Enrollment:
    caller = ctx.require_session()
    if caller.stage is SessionStage.TOTP_PENDING:
        raise TotpRequired("complete the login with completeLogin(code) first")
    account = caller.email if isinstance(caller, staff.StaffCaller) else await _email(ctx, caller)
    enrollment = await _factor(ctx, caller).start_enrollment(account, ctx.clock.now())
    await _record(ctx, "totp_enrollment_started", caller)
    return enrollment


async def _email(ctx: RequestContext, caller: Principal) -> str:
    user = await ctx.db.get(User, (caller.tenant_id, caller.actor_id))
    if user is None:
        raise not_found("user")
    return f"{user.email}"


async def confirm_enrollment(ctx: RequestContext, code: str) -> Renewed:
    """Activate TOTP; a session that could only enrol becomes complete and stepped up."""
    caller = ctx.require_session()
    if caller.stage is SessionStage.TOTP_PENDING:
        raise TotpRequired("complete the login with completeLogin(code) first")
    now = ctx.clock.now()
    codes = await _factor(ctx, caller).confirm_enrollment(code, now)
    await _record(ctx, "totp_enrolled", caller)
    return Renewed(await _renew(ctx, caller), tuple(codes))


async def complete_login(ctx: RequestContext, code: str) -> Renewed:
    caller = ctx.require_session()
    if caller.stage is not SessionStage.TOTP_PENDING:
        raise Conflict("this session is not waiting for a TOTP code")
    await _factor(ctx, caller).verify(code, ctx.clock.now())
    await _record(ctx, "login_completed", caller)
    return Renewed(await _renew(ctx, caller))


async def verify_step_up(ctx: RequestContext, code: str) -> Renewed:
    caller = ctx.require_session()
    if caller.stage is not SessionStage.FULL:
        raise TotpRequired("log in completely before stepping up")
    await _factor(ctx, caller).verify(code, ctx.clock.now())
    await _record(ctx, "step_up", caller)
    return Renewed(await _renew(ctx, caller))


async def _renew(ctx: RequestContext, caller: Principal | staff.StaffCaller) -> Secret:
    now = ctx.clock.now()
    if isinstance(caller, staff.StaffCaller):
        return (await staff.renew_staff_session(ctx.db, caller, now=now)).value
    return (await sessions.renew_session(ctx.db, caller, now=now, stepped_up=True)).value


async def disable_own(ctx: RequestContext) -> int:
    """Remove the caller's TOTP (step-up checked by the marker); other sessions end."""
    principal = ctx.require_principal()
    if principal.actor_id is None:
        raise not_found("user")
    return await _remove(ctx, principal.tenant_id, principal.actor_id, principal.session_id)


async def reset_for(ctx: RequestContext, user_id: uuid.UUID) -> int:
    """An admin removes a user's TOTP (a lost phone); every session of that user ends.
    Only someone who holds every power of that user may: nobody gains by weakening
    someone stronger."""
    tenant_id = ctx.tenant_id
    if await ctx.db.get(User, (tenant_id, user_id)) is None:
        raise not_found("user")
    target = await powers_of_user(ctx.db, tenant_id, user_id)
    ctx.require_delegation(target, Act.ACTS_ON, "resetTotp")
    return await _remove(ctx, tenant_id, user_id, None)


async def _remove(
    ctx: RequestContext, tenant_id: uuid.UUID, user_id: uuid.UUID, keep: uuid.UUID | None
) -> int:
    owner = SeedOwner(tenant_id, user_id)
    factor = SecondFactor(ctx.db, ctx.throttle, ctx.seeds, owner, ctx.client_ip)
    if not await factor.is_enrolled():
        raise Conflict("this user has no TOTP enrolled")
    await factor.remove()
    ended = await sessions.revoke_other_sessions(
        ctx.db, tenant_id, user_id, keep, now=ctx.clock.now()
    )
    ctx.audit.add(
        Entry(
            "totp_disabled" if keep else "totp_reset",
            "User",
            str(user_id),
            changes=(Change("sessions_ended", ADMIN, None, ended),),
        )
    )
    return ended
