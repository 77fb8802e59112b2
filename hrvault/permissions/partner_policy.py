"""An integration's Policy, compiled from its consent and nothing else (never a person).

The consent's categories and access become grants; with no restriction they reach
everyone, with one they reach exactly the restricted people. Those people are handed to
the engine as the ``department`` relation (the only person-set scope a viewer who is no
employee can use), so field guards, SQL row filters and mutation checks apply unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Department, EmployeeCurrent, Integration, IntegrationAccess
from hrvault.models.current import refresh_current_state
from hrvault.permissions.delegation import Powers
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import GrantSource, Policy
from hrvault.permissions.relations import Relations
from hrvault.vocabulary import Action, FieldGroup, Scope

ACTIONS_OF: dict[IntegrationAccess, tuple[Action, ...]] = {
    # Reading is all a read integration does.
    IntegrationAccess.READ: (Action.SEE,),
    # Writing adds and edits; deleting, approving and documents stay with people.
    IntegrationAccess.READ_WRITE: (Action.SEE, Action.ADD, Action.EDIT),
}


def consent_grants(
    categories: Iterable[FieldGroup], access: IntegrationAccess, scope: Scope
) -> list[Grant]:
    return [Grant(group, action, scope) for group in categories for action in ACTIONS_OF[access]]


def consent_powers(categories: Iterable[FieldGroup], access: IntegrationAccess) -> Powers:
    """What consenting (or issuing a token) hands the partner, for the delegation rule.

    Counted for everyone even when the consent names people or departments: who is in a
    department changes after the consent, and the consenter's own reach is relative to
    themselves, so only a grant for everyone covers every person the partner may reach.
    """
    return Powers.of(consent_grants(categories, access, Scope.ALL))


async def _members_of(
    db: AsyncSession, tenant_id: uuid.UUID, departments: list[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """People whose current job is in one of the departments or below them."""
    if not departments:
        return frozenset()
    subtree = (
        select(Department.id)
        .where(Department.tenant_id == tenant_id, Department.id.in_(departments))
        .cte("partner_subtree", recursive=True)
    )
    subtree = subtree.union(
        select(Department.id)
        .join(subtree, Department.parent_id == subtree.c.id)
        .where(Department.tenant_id == tenant_id)
    )
    members = await db.scalars(
        select(EmployeeCurrent.employee_id).where(
            EmployeeCurrent.tenant_id == tenant_id,
            EmployeeCurrent.department_id.in_(select(subtree.c.id)),
        )
    )
    return frozenset(members)


async def load_partner_policy(db: AsyncSession, integration: Integration, today: date) -> Policy:
    await refresh_current_state(db, integration.tenant_id, today)
    categories = [FieldGroup(c) for c in integration.categories]
    access = IntegrationAccess(integration.access)
    if integration.is_restricted:
        people = frozenset(integration.employee_ids or ()) | await _members_of(
            db, integration.tenant_id, list(integration.department_ids or ())
        )
        relations = Relations(viewer=None, department=people)
        scope = Scope.DEPARTMENT
    else:
        relations = Relations(viewer=None)
        scope = Scope.ALL
    name = f"integration: {integration.partner_name}"
    sources = [
        GrantSource(integration.id, name, grant)
        for grant in consent_grants(categories, access, scope)
    ]
    return Policy(sources, (), relations)
