"""Login accounts of a tenant and their server-side sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.vocabulary import FieldGroup


class User(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "users"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"]),
        Index("uq_users_tenant_email", "tenant_id", text("lower(email)"), unique=True),
        Index(
            "uq_users_tenant_employee",
            "tenant_id",
            "employee_id",
            unique=True,
            postgresql_where="employee_id IS NOT NULL",
        ),
    )

    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    employee_id: Mapped[uuid.UUID | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]


class Session(TenantOwned, Base):
    """A login session. Only the SHA-256 of its token is stored, never the token itself."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index("ix_sessions_tenant_user", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    stage: Mapped[str] = mapped_column(String(16), default="full")
    """``full``, ``totp_pending`` (password done, code due) or ``enrol_only``."""
    stepped_up_at: Mapped[datetime | None]
