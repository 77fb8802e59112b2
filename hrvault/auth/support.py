"""Support grants: the tenant's time-boxed, scoped permission for vendor staff.

A grant compiles into an ordinary ``Policy`` (field groups x see/add/edit, no abilities),
so the same field guards and mutation checks that bind users bind staff, and nothing a
grant does not name is reachable: no role, user, grant, key or integration management.
A grant limited to named employees is compiled with the ``department`` scope over a
"department" made of exactly those people, so list filters and per-person checks narrow
to them without a special case in the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.errors import Forbidden
from hrvault.models import SupportGrant
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import GrantSource, Policy
from hrvault.permissions.relations import Relations
from hrvault.vocabulary import PERSON_GROUPS, Action, FieldGroup, Scope

MAX_DURATION = timedelta(hours=72)
DEFAULT_DURATION = timedelta(hours=4)
REQUEST_LIFETIME = timedelta(hours=24)
EXCLUDED_BY_DEFAULT = frozenset(
    {
        FieldGroup.IDENTITY,
        FieldGroup.BANK,
        FieldGroup.SALARY,
        FieldGroup.PERSONAL,
        FieldGroup.ABSENCE_REASON,
    }
)
DEFAULT_GROUPS = tuple(g for g in PERSON_GROUPS if g not in EXCLUDED_BY_DEFAULT)
READ_ACTIONS = (Action.SEE, Action.DOWNLOAD)
WRITE_ACTIONS = (Action.ADD, Action.EDIT)


class GrantState(StrEnum):
    REQUESTED = "requested"
    LAPSED = "lapsed"
    DECLINED = "declined"
    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


def state_of(grant: SupportGrant, now: datetime) -> GrantState:
    if grant.revoked_at is not None:
        return GrantState.REVOKED
    if grant.status == "declined":
        return GrantState.DECLINED
    if grant.status == "requested":
        lapsed = now >= grant.requested_at + REQUEST_LIFETIME
        return GrantState.LAPSED if lapsed else GrantState.REQUESTED
    if grant.expires_at is None or now >= grant.expires_at:
        return GrantState.EXPIRED
    return GrantState.LIVE


async def live_grant(
    db: AsyncSession, tenant_id: uuid.UUID, grant_id: uuid.UUID, staff_id: uuid.UUID, now: datetime
) -> SupportGrant:
    """The grant, if it is live and open to this staff member; Forbidden says why not."""
    grant = await db.scalar(
        select(SupportGrant).where(SupportGrant.tenant_id == tenant_id, SupportGrant.id == grant_id)
    )
    if grant is None:
        raise Forbidden("no support grant of this tenant covers you", supportGrant="none")
    if grant.staff_id is not None and grant.staff_id != staff_id:
        raise Forbidden("this support grant names another staff member", supportGrant="other")
    state = state_of(grant, now)
    if state is not GrantState.LIVE:
        raise Forbidden(f"the support grant is {state.value}", supportGrant=state.value)
    return grant


def staff_grants(groups: Iterable[str], writable: bool, scope: Scope) -> list[Grant]:
    """What a support grant of these groups gives the staff member, for one scope."""
    actions = READ_ACTIONS + (WRITE_ACTIONS if writable else ())
    return [Grant(FieldGroup(group), action, scope) for group in groups for action in actions]


def grant_policy(grant: SupportGrant) -> Policy:
    named = frozenset(grant.employee_ids or ())
    scope = Scope.DEPARTMENT if named else Scope.ALL
    sources = [
        GrantSource(grant.id, "support grant", given)
        for given in staff_grants(grant.field_groups, grant.writable, scope)
    ]
    return Policy(sources, [], Relations(viewer=None, department=named))


def via_reason(grant: SupportGrant) -> str:
    return f"{grant.reason} [{grant.ticket}]" if grant.ticket else grant.reason
