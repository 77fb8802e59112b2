"""Records of changes made outside GraphQL (operator commands), in the same chain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.chain import append
from hrvault.audit.records import Actor, ActorKind, Change, Entry, Origin
from hrvault.models import User
from hrvault.vocabulary import FieldGroup

ADMIN = FieldGroup.ADMINISTRATION.value


async def record_system(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    entries: Sequence[Entry],
    *,
    operation: str,
    now: datetime,
) -> None:
    await append(
        db,
        tenant_id,
        entries,
        actor=Actor(ActorKind.SYSTEM, None, f"hrvault {operation}"),
        origin=Origin(operation=operation),
        now=now,
    )


def user_created(user: User, role_names: Sequence[str]) -> Entry:
    return Entry(
        "create",
        "User",
        str(user.id),
        subject_id=user.employee_id,
        changes=(
            Change("email", ADMIN, None, user.email),
            Change("employee_id", ADMIN, None, str(user.employee_id) if user.employee_id else None),
            Change("roles", ADMIN, None, sorted(role_names)),
        ),
    )
