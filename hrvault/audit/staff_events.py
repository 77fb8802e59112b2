"""The staff audit log: what happens to the vendor's support staff accounts.

Staff belong to no tenant, so their account events (creation, TOTP enrolment and reset,
logins, step-ups, logouts) have no tenant chain to go to: they are appended to
``staff_audit_log``, in the transaction of the change, so the change and its record
commit together, each member's records in a hash chain of their own
(``hrvault.audit.staff_chain``). What staff do inside a tenant, under a grant, goes to
that tenant's chain as before. The transaction must have named the staff member
(``name_staff``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.records import Actor, ActorKind, Origin
from hrvault.audit.staff_chain import append_staff_record


def operator(command: str) -> Actor:
    """The actor of an operator command (``hrvault staff ...``)."""
    return Actor(ActorKind.SYSTEM, None, f"hrvault {command}")


async def record_staff_event(
    db: AsyncSession,
    staff_id: uuid.UUID,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    origin: Origin | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    await append_staff_record(
        db,
        {
            "staff_id": staff_id,
            "occurred_at": now,
            "action": action,
            "actor_kind": actor.kind.value,
            "actor_name": actor.name[:200],
            "request_id": origin.request_id if origin else None,
            "client_ip": origin.client_ip if origin else None,
            "details": dict(details or {}),
        },
    )
