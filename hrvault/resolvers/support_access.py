"""Support access from both sides: the tenant grants, approves and revokes; staff ask for
access and activate a grant. Every step is written to the tenant's audit chain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from hrvault.audit.chain import append
from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.audit.system import ADMIN
from hrvault.auth import staff, support
from hrvault.auth.sessions import find_tenant_by_slug
from hrvault.db import bind_tenant
from hrvault.errors import Conflict, bad_input, not_found
from hrvault.models import AuditRecord, Employee, SupportGrant
from hrvault.permissions.delegation import Act, Powers
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, FieldGroup, Scope


@dataclass(frozen=True)
class GrantRequest:
    reason: str
    ticket: str | None
    field_groups: Sequence[FieldGroup] | None
    writable: bool
    hours: int | None


def _validated(request: GrantRequest) -> tuple[str, list[str], int]:
    reason = request.reason.strip()
    if not 3 <= len(reason) <= 1000:
        raise bad_input("reason", "must be 3 to 1000 characters")
    if request.ticket is not None and len(request.ticket) > 100:
        raise bad_input("ticket", "must be at most 100 characters")
    groups = support.DEFAULT_GROUPS if request.field_groups is None else request.field_groups
    if not groups or any(g not in PERSON_GROUPS for g in groups):
        raise bad_input("fieldGroups", "name at least one group of person data")
    given = request.hours
    duration = support.DEFAULT_DURATION if given is None else timedelta(hours=given)
    if not timedelta(hours=1) <= duration <= support.MAX_DURATION:
        raise bad_input("hours", "a grant lasts 1 to 72 hours")
    return reason, sorted({g.value for g in groups}), int(duration.total_seconds())


def _grant_changes(grant: SupportGrant) -> tuple[Change, ...]:
    return (
        Change("reason", ADMIN, None, grant.reason),
        Change("ticket", ADMIN, None, grant.ticket),
        Change("field_groups", ADMIN, None, list(grant.field_groups)),
        Change("writable", ADMIN, None, grant.writable),
        Change("staff_id", ADMIN, None, str(grant.staff_id) if grant.staff_id else None),
        Change("employee_ids", ADMIN, None, [str(e) for e in grant.employee_ids or ()]),
        Change(
            "expires_at", ADMIN, None, grant.expires_at.isoformat() if grant.expires_at else None
        ),
    )


def _require_holds_what_it_opens(ctx: RequestContext, grant: SupportGrant, operation: str) -> None:
    """Opening data to vendor staff hands out its powers: the approver must hold them, for
    everyone (named employees are people the approver may not reach)."""
    given = support.staff_grants(grant.field_groups, grant.writable, Scope.ALL)
    ctx.require_delegation(Powers.of(given), Act.HANDS_OUT, operation)


async def create_grant(
    ctx: RequestContext,
    request: GrantRequest,
    staff_id: uuid.UUID | None,
    employee_ids: Sequence[uuid.UUID] | None,
) -> SupportGrant:
    reason, groups, seconds = _validated(request)
    now = ctx.clock.now()
    for employee_id in employee_ids or ():
        if await ctx.db.get(Employee, (ctx.tenant_id, employee_id)) is None:
            raise not_found("employee")
    grant = SupportGrant(
        tenant_id=ctx.tenant_id,
        id=uuid.uuid4(),
        status="approved",
        reason=reason,
        ticket=request.ticket,
        field_groups=groups,
        writable=request.writable,
        staff_id=staff_id,
        employee_ids=list(employee_ids) if employee_ids else None,
        duration_seconds=seconds,
        requested_at=now,
        decided_by=ctx.actor_id,
        starts_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    _require_holds_what_it_opens(ctx, grant, "createSupportGrant")
    ctx.db.add(grant)
    await ctx.db.flush()
    ctx.audit.add(Entry("create", "SupportGrant", str(grant.id), changes=_grant_changes(grant)))
    return grant


async def _tenant_grant(ctx: RequestContext, grant_id: uuid.UUID) -> SupportGrant:
    grant = await ctx.db.get(SupportGrant, (ctx.tenant_id, grant_id))
    if grant is None:
        raise not_found("support grant")
    return grant


async def decide_request(ctx: RequestContext, grant_id: uuid.UUID, approve: bool) -> SupportGrant:
    grant = await _tenant_grant(ctx, grant_id)
    now = ctx.clock.now()
    if support.state_of(grant, now) is not support.GrantState.REQUESTED:
        raise Conflict(f"the request is {support.state_of(grant, now).value}, not open")
    if approve:
        _require_holds_what_it_opens(ctx, grant, "approveSupportRequest")
    grant.status = "approved" if approve else "declined"
    grant.decided_by = ctx.actor_id
    if approve:
        grant.starts_at = now
        grant.expires_at = now + timedelta(seconds=grant.duration_seconds)
    await ctx.db.flush()
    action = "approve" if approve else "decline"
    ctx.audit.add(Entry(action, "SupportGrant", str(grant.id), changes=_grant_changes(grant)))
    return grant


async def revoke_grant(ctx: RequestContext, grant_id: uuid.UUID) -> SupportGrant:
    grant = await _tenant_grant(ctx, grant_id)
    if grant.revoked_at is None:
        grant.revoked_at = ctx.clock.now()
        grant.revoked_by = ctx.actor_id
        await ctx.db.flush()
    ctx.audit.add(Entry("revoke", "SupportGrant", str(grant.id)))
    return grant


async def list_grants(ctx: RequestContext) -> list[SupportGrant]:
    rows = await ctx.db.scalars(
        select(SupportGrant)
        .where(SupportGrant.tenant_id == ctx.tenant_id)
        .order_by(SupportGrant.requested_at.desc())
    )
    return list(rows)


async def actions_under(ctx: RequestContext, grant_ids: Sequence[uuid.UUID]) -> list[AuditRecord]:
    rows = await ctx.db.scalars(
        select(AuditRecord)
        .where(AuditRecord.tenant_id == ctx.tenant_id, AuditRecord.via_id.in_(grant_ids))
        .order_by(AuditRecord.seq)
    )
    return list(rows)


async def _enter_tenant(ctx: RequestContext, tenant_slug: str) -> uuid.UUID:
    """Bind the transaction to the named tenant; a grant held elsewhere stops applying to
    the rest of this request (its audit records would go to the wrong chain)."""
    tenant = await find_tenant_by_slug(ctx.db, tenant_slug)
    if tenant is None:
        raise not_found("tenant")
    ctx.principal = None
    await bind_tenant(ctx.db, tenant.id)
    return tenant.id


async def _record_staff(
    ctx: RequestContext, tenant_id: uuid.UUID, entry: Entry, grant: SupportGrant
) -> None:
    caller = ctx.require_staff()
    actor = Actor(
        ActorKind.SUPPORT,
        caller.staff_id,
        caller.name,
        via_kind="support_grant",
        via_id=grant.id,
        via_reason=support.via_reason(grant),
    )
    await append(ctx.db, tenant_id, [entry], actor=actor, origin=ctx.origin(), now=ctx.clock.now())


async def request_access(
    ctx: RequestContext, tenant_slug: str, request: GrantRequest
) -> SupportGrant:
    caller = ctx.require_staff()
    reason, groups, seconds = _validated(request)
    tenant_id = await _enter_tenant(ctx, tenant_slug)
    grant = SupportGrant(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        status="requested",
        reason=reason,
        ticket=request.ticket,
        field_groups=groups,
        writable=request.writable,
        staff_id=caller.staff_id,
        duration_seconds=seconds,
        requested_by_staff=caller.staff_id,
        requested_at=ctx.clock.now(),
    )
    ctx.db.add(grant)
    await ctx.db.flush()
    entry = Entry("request", "SupportGrant", str(grant.id), changes=_grant_changes(grant))
    await _record_staff(ctx, tenant_id, entry, grant)
    return grant


async def activate(ctx: RequestContext, tenant_slug: str, grant_id: uuid.UUID) -> SupportGrant:
    caller = ctx.require_staff()
    tenant_id = await _enter_tenant(ctx, tenant_slug)
    grant = await support.live_grant(ctx.db, tenant_id, grant_id, caller.staff_id, ctx.clock.now())
    await staff.activate_grant(ctx.db, caller, tenant_id, grant.id)
    await _record_staff(ctx, tenant_id, Entry("activate", "SupportGrant", str(grant.id)), grant)
    return grant
