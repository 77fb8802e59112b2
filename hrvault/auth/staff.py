"""The vendor's support staff: platform accounts with their own, stricter sessions.

Staff are not users of any tenant. Their login always needs TOTP (enrolment is forced at
the first login), a session ends after 15 minutes idle or 8 hours in all, and it reaches
a tenant only through one activated, live support grant (see ``support``). Their rows are
visible to a transaction only after it names the staff member or the token digest (see
migration 0006), so no tenant request can list them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth.passwords import WeakPasswordError, check_strength, hash_password, verify_password
from hrvault.auth.principal import SessionStage
from hrvault.auth.sessions import PENDING_LOGIN_LIFETIME
from hrvault.auth.users import normalise_email
from hrvault.config import Secret
from hrvault.errors import Conflict, Unauthenticated, bad_input
from hrvault.models import StaffSession, SupportStaff

STAFF_TOKEN_PREFIX = "hrvst1_"  # noqa: S105 - a format marker, not a secret
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_LIFETIME = timedelta(hours=8)
STEP_UP_WINDOW = timedelta(minutes=15)
STAFF_LOGIN_FAILED = "staff login failed: unknown email or wrong password"


@dataclass(frozen=True)
class StaffToken:
    value: Secret

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.value.reveal().encode()).digest()


def new_staff_token() -> StaffToken:
    return StaffToken(Secret(STAFF_TOKEN_PREFIX + secrets.token_urlsafe(32)))


def is_staff_token(raw: str) -> bool:
    return raw.startswith(STAFF_TOKEN_PREFIX)


@dataclass(frozen=True)
class StaffCaller:
    """A live staff session, before any tenant is involved."""

    session_id: uuid.UUID
    staff_id: uuid.UUID
    name: str
    email: str
    stage: SessionStage
    stepped_up_at: datetime | None
    tenant_id: uuid.UUID | None
    grant_id: uuid.UUID | None

    def stepped_up_within(self, now: datetime) -> bool:
        return self.stepped_up_at is not None and now - self.stepped_up_at <= STEP_UP_WINDOW


async def name_staff(db: AsyncSession, staff_id: uuid.UUID) -> None:
    """Let this transaction see that staff member's rows (row-level security reads it)."""
    await db.execute(
        text("SELECT set_config('hrvault.staff_id', :id, true)"), {"id": str(staff_id)}
    )


async def create_staff(
    db: AsyncSession, *, email: str, name: str, password: Secret, now: datetime
) -> SupportStaff:
    email = normalise_email(email)
    try:
        check_strength(password.reveal(), email=email)
    except WeakPasswordError as exc:
        raise bad_input("password", str(exc)) from None
    if not 1 <= len(name.strip()) <= 200:
        raise bad_input("name", "must be 1 to 200 characters")
    if await find_staff(db, email) is not None:
        raise Conflict("a staff member with this email already exists", field="email")
    staff = SupportStaff(
        id=uuid.uuid4(),
        email=email,
        display_name=name.strip(),
        password_hash=await hash_password(password),
        created_at=now,
    )
    await name_staff(db, staff.id)
    db.add(staff)
    await db.flush()
    return staff


async def find_staff(db: AsyncSession, email: str) -> SupportStaff | None:
    """The staff member with this email (any case), and the transaction may see their rows."""
    email = email.strip().lower()
    await db.execute(
        text("SELECT set_config('hrvault.staff_login', :email, true)"), {"email": email}
    )
    staff = await db.scalar(select(SupportStaff).where(func.lower(SupportStaff.email) == email))
    if staff is not None:
        await name_staff(db, staff.id)
    return staff


@dataclass(frozen=True)
class NewStaffSession:
    token: StaffToken
    staff_id: uuid.UUID
    name: str
    stage: SessionStage


async def staff_login(
    db: AsyncSession, *, email: str, password: Secret, now: datetime
) -> NewStaffSession:
    """Check the password and open a session that still needs the second factor."""
    staff = await find_staff(db, email)
    if staff is not None and not staff.is_active:
        staff = None
    if not await verify_password(staff.password_hash if staff else None, password) or not staff:
        raise Unauthenticated(STAFF_LOGIN_FAILED)
    stage = (
        SessionStage.TOTP_PENDING
        if staff.totp_confirmed_at is not None
        else SessionStage.ENROL_ONLY
    )
    token = new_staff_token()
    db.add(
        StaffSession(
            id=uuid.uuid4(),
            staff_id=staff.id,
            token_hash=token.digest,
            stage=stage.value,
            created_at=now,
            last_seen_at=now,
        )
    )
    await db.flush()
    return NewStaffSession(token, staff.id, staff.display_name, stage)


async def authenticate_staff(db: AsyncSession, raw: str, *, now: datetime) -> StaffCaller:
    token = StaffToken(Secret(raw))
    await db.execute(
        text("SELECT set_config('hrvault.staff_token', :digest, true)"),
        {"digest": token.digest.hex()},
    )
    session = await db.scalar(
        select(StaffSession).where(
            StaffSession.token_hash == token.digest,
            StaffSession.revoked_at.is_(None),
            StaffSession.last_seen_at > now - IDLE_TIMEOUT,
            StaffSession.created_at > now - ABSOLUTE_LIFETIME,
        )
    )
    pending = session is not None and session.stage != SessionStage.FULL.value
    if session is not None and pending and session.created_at <= now - PENDING_LOGIN_LIFETIME:
        session = None
    if session is None:
        raise Unauthenticated("the staff session has expired or was revoked; log in again")
    await name_staff(db, session.staff_id)
    staff = await db.get(SupportStaff, session.staff_id)
    if staff is None or not staff.is_active:
        raise Unauthenticated("the staff account is disabled")
    session.last_seen_at = now
    await db.flush()
    return StaffCaller(
        session_id=session.id,
        staff_id=staff.id,
        name=staff.display_name,
        email=staff.email,
        stage=SessionStage(session.stage),
        stepped_up_at=session.stepped_up_at,
        tenant_id=session.tenant_id,
        grant_id=session.grant_id,
    )


async def renew_staff_session(
    db: AsyncSession, caller: StaffCaller, *, now: datetime
) -> StaffToken:
    """After a code: a new token, the session complete and stepped up now."""
    token = new_staff_token()
    await db.execute(
        update(StaffSession)
        .where(StaffSession.id == caller.session_id)
        .values(token_hash=token.digest, stage=SessionStage.FULL.value, stepped_up_at=now)
    )
    return token


async def activate_grant(
    db: AsyncSession, caller: StaffCaller, tenant_id: uuid.UUID, grant_id: uuid.UUID
) -> None:
    await db.execute(
        update(StaffSession)
        .where(StaffSession.id == caller.session_id)
        .values(tenant_id=tenant_id, grant_id=grant_id)
    )


async def end_staff_session(db: AsyncSession, caller: StaffCaller, *, now: datetime) -> None:
    """Revoke this session: its token is refused from the next request on."""
    await db.execute(
        update(StaffSession)
        .where(StaffSession.id == caller.session_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def end_all_staff_sessions(db: AsyncSession, staff_id: uuid.UUID, *, now: datetime) -> int:
    """Revoke every open session of the staff member; returns how many were open."""
    result = await db.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
