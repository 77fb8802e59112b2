"""Creating login accounts for a tenant."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth.passwords import WeakPasswordError, check_strength, hash_password
from hrvault.config import Secret
from hrvault.errors import Conflict, bad_input, not_found
from hrvault.models import Employee, User

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise bad_input("email", "is not a valid email address")
    return email


async def create_user(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    password: Secret,
    employee_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> User:
    """A user of the transaction's tenant; the password is checked, then hashed."""
    email = normalise_email(email)
    try:
        check_strength(password.reveal(), email=email)
    except WeakPasswordError as exc:
        raise bad_input("password", str(exc)) from None
    taken = await db.scalar(
        select(User.id).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    )
    if taken is not None:
        raise Conflict("a user with this email already exists", field="email")
    if employee_id is not None:
        if await db.get(Employee, (tenant_id, employee_id)) is None:
            raise not_found("employee")
        linked = await db.scalar(
            select(User.id).where(User.tenant_id == tenant_id, User.employee_id == employee_id)
        )
        if linked is not None:
            raise Conflict("this employee already has a user", field="employee")
    user = User(
        tenant_id=tenant_id,
        email=email,
        password_hash=await hash_password(password),
        employee_id=employee_id,
    )
    user.stamp_created(actor_id, now)
    db.add(user)
    await db.flush()
    return user
