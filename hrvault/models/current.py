"""Where each person stands today: the current rows of their effective-dated history.

``employee_current`` holds, per person, what the latest job assignment and reporting line
in force say (department, office, manager) plus the chain of managers above them, so that
"people in this department", "reports of this manager" and "everyone under this manager"
are index look-ups instead of a pass over the whole history. PostgreSQL keeps it (the
triggers and functions of migration 0014); the application only reads it, after
``refresh_current_state`` has brought any row whose validity ended up to date.

A row is the truth for the days in ``[valid_from, valid_until)`` (NULL: unbounded): the
newest row in force began on ``valid_from``, and the person's next scheduled change
(a job or reporting line dated later) takes effect on ``valid_until``.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKeyConstraint, Index, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base
from hrvault.vocabulary import FieldGroup


class EmployeeCurrent(Base):
    __field_group__ = FieldGroup.JOB
    __tablename__ = "employee_current"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_employee_current_manager", "tenant_id", "manager_id"),
        Index("ix_employee_current_department", "tenant_id", "department_id"),
        Index("ix_employee_current_office", "tenant_id", "office_id"),
        Index("ix_employee_current_managers", "managers", postgresql_using="gin"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    employee_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_assignment_id: Mapped[uuid.UUID | None]
    department_id: Mapped[uuid.UUID | None]
    office_id: Mapped[uuid.UUID | None]
    manager_id: Mapped[uuid.UUID | None]
    managers: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    """Everyone above the person, the top first and the direct manager last."""
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]


_REFRESH = text("SELECT hrvault_refresh_placements(:tenant_id, :today)")


_PLACED_DAY = "hrvault.placed_day"
"""Where a session notes the tenant and day its transaction's placements are up to date for."""


def note_placed(db: AsyncSession, tenant_id: uuid.UUID, today: date) -> None:
    """Record that this transaction brought the tenant's placements up to date for
    ``today`` (``hrvault_authenticate`` does it with the session check)."""
    db.info[_PLACED_DAY] = (tenant_id, today)


async def refresh_current_state(db: AsyncSession, tenant_id: uuid.UUID, today: date) -> int:
    """Bring every placement of the tenant that is not valid ``today`` up to date, and
    name ``today`` as the day the transaction's history writes are placed for.

    This is how a change scheduled for a later date becomes current: the first request
    on or after that day re-places the people whose row stopped being valid (an index
    range, usually empty). Returns how many people were re-placed; nothing is sent when
    the transaction did it already.
    """
    if db.info.get(_PLACED_DAY) == (tenant_id, today):
        return 0
    placed = int(await db.scalar(_REFRESH, {"tenant_id": tenant_id, "today": today}) or 0)
    note_placed(db, tenant_id, today)
    return placed
