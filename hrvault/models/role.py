"""Roles a tenant defines, what they grant, and who holds them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.models.enums import checked_enum
from hrvault.vocabulary import Ability, Action, FieldGroup, Scope


class Role(TenantOwned, Tracked, Base):
    """A named set of grants. Built-in roles (``builtin_key`` set) follow the product's
    definition and can be copied but not edited or deleted."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "roles"
    __table_args__ = (
        Index("uq_roles_tenant_name", "tenant_id", text("lower(name)"), unique=True),
        Index(
            "uq_roles_tenant_builtin",
            "tenant_id",
            "builtin_key",
            unique=True,
            postgresql_where="builtin_key IS NOT NULL",
        ),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    builtin_key: Mapped[str | None] = mapped_column(String(32))
    requires_totp: Mapped[bool] = mapped_column(default=False)
    """Holders without TOTP may only enrol until they do."""


def _role_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "role_id"], ["roles.tenant_id", "roles.id"], ondelete="CASCADE"
    )


class RoleGrant(TenantOwned, Base):
    """``action`` on ``field_group`` for people in ``scope``; former employees only if asked."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "role_grants"
    __table_args__ = (
        _role_fk(),
        UniqueConstraint("tenant_id", "role_id", "field_group", "action", "scope"),
    )

    role_id: Mapped[uuid.UUID]
    field_group: Mapped[FieldGroup] = mapped_column(checked_enum(FieldGroup))
    action: Mapped[Action] = mapped_column(checked_enum(Action))
    scope: Mapped[Scope] = mapped_column(checked_enum(Scope))
    include_former: Mapped[bool] = mapped_column(default=False)


class RoleAbility(TenantOwned, Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "role_abilities"
    __table_args__ = (_role_fk(), UniqueConstraint("tenant_id", "role_id", "ability"))

    role_id: Mapped[uuid.UUID]
    ability: Mapped[Ability] = mapped_column(checked_enum(Ability))


class UserRole(Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "user_roles"
    __table_args__ = (
        _role_fk(),
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index("ix_user_roles_tenant_role", "tenant_id", "role_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
