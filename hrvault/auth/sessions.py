"""Server-side login sessions: login, authentication on every request, logout.

A session ends after the tenant's idle timeout or its absolute lifetime, whichever comes
first, and at once when revoked. Both limits are read from the tenant row at every
request, so shortening them applies to sessions already open. Last-seen is written at
most once per tenth of the idle timeout (and at least once a minute) and idle expiry
counts from the stored value, so a session may end that much early but never late.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth.passwords import hash_password, needs_rehash, verify_password
from hrvault.auth.principal import Principal, PrincipalKind, SessionStage
from hrvault.auth.tokens import SessionToken, new_session_token, parse_session_token
from hrvault.config import Secret
from hrvault.db import LOGIN_SLUG_SETTING, bind_tenant
from hrvault.errors import Unauthenticated
from hrvault.models import Role, Session, Tenant, TotpCredential, User, UserRole
from hrvault.models.current import note_placed

PENDING_LOGIN_LIFETIME = timedelta(minutes=5)
"""Between the password and the TOTP code of a two-step login."""

LOGIN_FAILED = "login failed: unknown tenant, email or password"


class LoginFailed(Unauthenticated):
    """The same message for every cause; the attributes (never shown) feed the audit log."""

    def __init__(self, tenant_id: uuid.UUID | None, user_id: uuid.UUID | None) -> None:
        super().__init__(LOGIN_FAILED)
        self.tenant_id = tenant_id
        self.user_id = user_id


class SessionEnded(Unauthenticated):
    """A real session that ran out (idle or absolute): the first refusal is recorded."""

    def __init__(self, tenant_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
        super().__init__("the session has expired; log in again")
        self.tenant_id = tenant_id
        self.session_id = session_id
        self.user_id = user_id


@dataclass(frozen=True)
class NewSession:
    token: SessionToken
    session_id: uuid.UUID
    user_id: uuid.UUID
    employee_id: uuid.UUID | None
    email: str
    expires_at: datetime
    idle_timeout: timedelta
    stage: SessionStage


async def _login_stage(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> SessionStage:
    """Enrolled: a code is due. Holding a role that requires TOTP: enrol first. Else done."""
    enrolled = await db.scalar(
        select(TotpCredential.id).where(
            TotpCredential.tenant_id == tenant_id,
            TotpCredential.id == user_id,
            TotpCredential.confirmed_at.is_not(None),
        )
    )
    if enrolled is not None:
        return SessionStage.TOTP_PENDING
    required = await db.scalar(
        select(Role.id)
        .join(UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id))
        .where(Role.tenant_id == tenant_id, UserRole.user_id == user_id, Role.requires_totp)
        .limit(1)
    )
    return SessionStage.ENROL_ONLY if required is not None else SessionStage.FULL


async def find_tenant_by_slug(db: AsyncSession, slug: str) -> Tenant | None:
    """Look a tenant up by slug before the transaction is bound to any tenant."""
    await db.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": LOGIN_SLUG_SETTING, "value": slug},
    )
    tenant = await db.scalar(select(Tenant).where(Tenant.slug == slug))
    await db.execute(text("SELECT set_config(:name, '', true)"), {"name": LOGIN_SLUG_SETTING})
    return tenant


async def login(
    db: AsyncSession,
    *,
    tenant_slug: str,
    email: str,
    password: Secret,
    now: datetime,
    client_ip: str | None,
    user_agent: str | None,
) -> NewSession:
    """Check the credentials and open a session; every failure answers the same way."""
    if any(ord(c) < 32 for c in tenant_slug + email):
        # No slug or email holds control characters, and PostgreSQL refuses NUL outright.
        raise Unauthenticated(LOGIN_FAILED)
    tenant = await find_tenant_by_slug(db, tenant_slug)
    user: User | None = None
    if tenant is not None:
        await bind_tenant(db, tenant.id)
        user = await db.scalar(
            select(User).where(
                User.tenant_id == tenant.id,
                text("lower(users.email) = lower(:email)").bindparams(email=email),
                User.is_active.is_(True),
            )
        )
    if not await verify_password(user.password_hash if user else None, password):
        raise LoginFailed(tenant.id if tenant else None, user.id if user else None)
    if tenant is None or user is None:  # verify_password is False without a user; for mypy
        raise LoginFailed(None, None)

    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    user.last_login_at = now
    token = new_session_token(tenant.id)
    stage = await _login_stage(db, tenant.id, user.id)
    session = Session(
        tenant_id=tenant.id,
        user_id=user.id,
        token_hash=token.digest,
        created_at=now,
        last_seen_at=now,
        client_ip=client_ip,
        user_agent=(user_agent or "")[:512] or None,
        stage=stage.value,
    )
    db.add(session)
    await db.flush()
    return NewSession(
        token=token,
        session_id=session.id,
        user_id=user.id,
        employee_id=user.employee_id,
        email=user.email,
        expires_at=now + timedelta(seconds=tenant.absolute_lifetime_seconds),
        idle_timeout=timedelta(seconds=tenant.idle_timeout_seconds),
        stage=stage,
    )


_AUTHENTICATE = text(
    "SELECT * FROM hrvault_authenticate(:tenant_id, :token_hash, :now, :pending_since)"
)


@dataclass(frozen=True)
class Authenticated:
    """A live session's principal, with what keys its compiled policy: the roles it holds
    and the tenant's policy version, both read in this request's transaction."""

    principal: Principal
    role_ids: tuple[uuid.UUID, ...]
    policy_version: int


async def authenticate(db: AsyncSession, raw_token: str, *, now: datetime) -> Authenticated:
    """The principal of a live session, in one round trip: binds the transaction to the
    session's tenant and writes last-seen when stale (``hrvault_authenticate``, migration
    0015).

    Raises Unauthenticated for a malformed, unknown, expired or revoked token alike.
    """
    token = parse_session_token(raw_token)
    if token is None:
        raise Unauthenticated("the session token is not valid")
    row = (
        await db.execute(
            _AUTHENTICATE,
            {
                "tenant_id": token.tenant_id,
                "token_hash": token.digest,
                "now": now,
                "pending_since": now - PENDING_LOGIN_LIFETIME,
            },
        )
    ).first()
    if row is None:
        raise Unauthenticated("the session has expired or was revoked; log in again")
    note_placed(db, token.tenant_id, now.astimezone(UTC).date())
    (session_id, user_id, employee_id, stage, stepped_up_at, window, ends_at, name, live) = row[:9]
    if not live:
        raise SessionEnded(token.tenant_id, session_id, user_id)
    principal = Principal(
        kind=PrincipalKind.USER,
        tenant_id=token.tenant_id,
        actor_id=user_id,
        display_name=name,
        session_id=session_id,
        employee_id=employee_id,
        stage=SessionStage(stage),
        stepped_up_at=stepped_up_at,
        step_up_window=timedelta(seconds=window),
        ends_at=ends_at,
    )
    return Authenticated(principal, tuple(row.role_ids), row.policy_version)


async def renew_session(
    db: AsyncSession, principal: Principal, *, now: datetime, stepped_up: bool
) -> SessionToken:
    """A new token for the same session, now complete (and stepped up when a code was just
    given): the token seen before the second factor stops working at once."""
    token = new_session_token(principal.tenant_id)
    values: dict[str, object] = {"token_hash": token.digest, "stage": SessionStage.FULL.value}
    if stepped_up:
        values["stepped_up_at"] = now
    await db.execute(
        update(Session)
        .where(Session.tenant_id == principal.tenant_id, Session.id == principal.session_id)
        .values(**values)
    )
    return token


async def revoke_other_sessions(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    keep: uuid.UUID | None,
    *,
    now: datetime,
) -> int:
    """End every open session of a user but ``keep`` (after TOTP is disabled or reset)."""
    result = await db.execute(
        update(Session)
        .where(
            Session.tenant_id == tenant_id,
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
            Session.id != keep if keep is not None else Session.id.is_not(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_session(
    db: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID | None, *, now: datetime
) -> None:
    await db.execute(
        update(Session)
        .where(
            Session.tenant_id == tenant_id,
            Session.id == session_id,
            Session.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def revoke_all_sessions(db: AsyncSession, principal: Principal, *, now: datetime) -> int:
    """End every open session of the principal's user, this one included."""
    result = await db.execute(
        update(Session)
        .where(
            Session.tenant_id == principal.tenant_id,
            Session.user_id == principal.actor_id,
            Session.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
