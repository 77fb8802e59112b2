"""Compiled grants kept between requests, valid only under the version they were read at.

Building a policy from its rows costs more than the rows themselves (the Owner holds some
eighty grants). A process keeps the compiled grants of each role set it has served, keyed
by the tenant's ``policy_version``, which PostgreSQL bumps in the same transaction as any
change to roles, grants or memberships (migration 0015) and which every request reads
with its session. A change made by any process is therefore seen by the very next
request of every process; nothing here is a source of truth.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth.sessions import Authenticated
from hrvault.permissions.compile import CompiledGrants, load_grants, policy_of
from hrvault.permissions.policy import Policy

CacheKey = tuple[uuid.UUID, tuple[uuid.UUID, ...], int]


class PolicyCache:
    """A bounded, least-recently-used map from (tenant, role set, version) to grants."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._entries: OrderedDict[CacheKey, CompiledGrants] = OrderedDict()

    async def policy(self, db: AsyncSession, session: Authenticated, today: date) -> Policy:
        """The session's policy for this request: cached grants, today's relations."""
        principal = session.principal
        key = (principal.tenant_id, session.role_ids, session.policy_version)
        grants = self._entries.get(key)
        if grants is None:
            # Read after the version in the same transaction: never older than the key.
            grants = await load_grants(db, principal.tenant_id, user_id=principal.actor_id)
            self._entries[key] = grants
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return await policy_of(
            db, principal.tenant_id, grants, viewer_employee_id=principal.employee_id, today=today
        )
