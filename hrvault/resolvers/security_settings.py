"""A tenant's own security settings: session limits, the step-up window, and which roles
must use TOTP. Each change is checked, versioned and audited like any other.

Both are safeguards of other people, so the delegation rule applies: loosening a session
limit weakens every holder of every role, and needs every power any of them holds;
changing a role's TOTP requirement needs every power of that role. Tightening the
session limits protects everyone and weakens nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN
from hrvault.errors import bad_input
from hrvault.models import Role, Tenant
from hrvault.permissions.delegation import NOTHING, Act
from hrvault.permissions.powers import powers_of_every_holder, powers_of_role
from hrvault.resolvers import rows
from hrvault.resolvers.context import RequestContext

# (column, GraphQL field, lowest, highest): the same bounds the database checks.
_LIMITS = (
    ("idle_timeout_seconds", "idleTimeoutSeconds", 60, 86_400),
    ("absolute_lifetime_seconds", "absoluteLifetimeSeconds", 300, 2_592_000),
    ("step_up_window_seconds", "stepUpWindowSeconds", 60, 3_600),
)


@dataclass(frozen=True)
class SessionSettings:
    idle_timeout_seconds: int
    absolute_lifetime_seconds: int
    step_up_window_seconds: int
    version: int

    @classmethod
    def of(cls, tenant: Tenant) -> SessionSettings:
        return cls(
            tenant.idle_timeout_seconds,
            tenant.absolute_lifetime_seconds,
            tenant.step_up_window_seconds,
            tenant.version,
        )


async def _tenant(ctx: RequestContext) -> Tenant:
    tenant = await ctx.db.scalar(select(Tenant).where(Tenant.id == ctx.tenant_id))
    if tenant is None:  # the session's own tenant: it exists while the session does
        raise LookupError(f"tenant {ctx.tenant_id} vanished")
    return tenant


async def session_settings(ctx: RequestContext) -> SessionSettings:
    async with ctx.reader.exclusive():
        return SessionSettings.of(await _tenant(ctx))


async def update_session_settings(
    ctx: RequestContext, version: int, changes: dict[str, Any]
) -> SessionSettings:
    """Open sessions follow new limits at once: they are read at every request."""
    tenant = await _tenant(ctx)
    rows.check_version(tenant, version)
    loosened = any(
        changes.get(column) is not None and changes[column] > getattr(tenant, column)
        for column, *_ in _LIMITS
    )
    protected = await powers_of_every_holder(ctx.db, ctx.tenant_id) if loosened else NOTHING
    ctx.require_delegation(protected, Act.ACTS_ON, "updateSessionSettings")
    recorded = []
    for column, field, low, high in _LIMITS:
        value = changes.get(column)
        if value is None:
            continue
        if not low <= value <= high:
            raise bad_input(field, f"must be between {low} and {high} seconds")
        recorded.append(Change(column, ADMIN, getattr(tenant, column), value))
        setattr(tenant, column, value)
    tenant.updated_at = ctx.clock.now()
    await ctx.db.flush()  # the version moves on by itself (optimistic locking)
    ctx.audit.add(Entry("update", "Tenant", str(tenant.id), changes=tuple(recorded)))
    return SessionSettings.of(tenant)


async def set_totp_requirement(ctx: RequestContext, raw_role_id: str, required: bool) -> Role:
    """Holders of a role that requires TOTP can do nothing but enrol until they have it."""
    role = await rows.get_row(ctx, Role, raw_role_id, "roleId")
    ctx.require_delegation(
        await powers_of_role(ctx.db, ctx.tenant_id, role.id), Act.ACTS_ON, "setRoleTotpRequirement"
    )
    if role.requires_totp != required:
        ctx.audit.add(
            Entry(
                "set_totp_requirement",
                "Role",
                str(role.id),
                changes=(Change("requires_totp", ADMIN, role.requires_totp, required),),
            )
        )
        role.requires_totp = required
        await ctx.db.flush()
    return role
