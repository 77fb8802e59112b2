"""roles and grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Roles, their grants and abilities, and role memberships; tenant-owned like everything
else, so under the same forced row-level security.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TABLES = ("roles", "role_grants", "role_abilities", "user_roles")


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("builtin_key", sa.String(length=32), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_roles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_roles")),
    )
    op.create_index(
        "uq_roles_tenant_builtin",
        "roles",
        ["tenant_id", "builtin_key"],
        unique=True,
        postgresql_where="builtin_key IS NOT NULL",
    )
    op.create_index(
        "uq_roles_tenant_name",
        "roles",
        ["tenant_id", sa.literal_column("lower(name)")],
        unique=True,
    )
    op.create_table(
        "role_abilities",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column(
            "ability",
            sa.Enum(
                "manage_roles",
                "manage_users",
                "manage_organisation",
                "see_audit",
                "manage_integrations",
                "manage_support_access",
                "export",
                name="ability",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["roles.tenant_id", "roles.id"],
            name=op.f("fk_role_abilities_tenant_id_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_role_abilities_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role_abilities")),
        sa.UniqueConstraint(
            "tenant_id",
            "role_id",
            "ability",
            name=op.f("uq_role_abilities_tenant_id_role_id_ability"),
        ),
    )
    op.create_table(
        "role_grants",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column(
            "field_group",
            sa.Enum(
                "basic",
                "job",
                "employment",
                "personal",
                "identity",
                "bank",
                "emergency",
                "salary",
                "absence",
                "absence_reason",
                "documents",
                "organisation",
                "administration",
                name="fieldgroup",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum(
                "see",
                "add",
                "edit",
                "delete",
                "upload",
                "download",
                "approve",
                name="action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "scope",
            sa.Enum(
                "self",
                "direct_reports",
                "all_reports",
                "department",
                "all",
                name="scope",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("include_former", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["roles.tenant_id", "roles.id"],
            name=op.f("fk_role_grants_tenant_id_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_role_grants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint(
            "tenant_id",
            "role_id",
            "field_group",
            "action",
            "scope",
            name=op.f("uq_role_grants_tenant_id_role_id_field_group_action_scope"),
        ),
    )
    op.create_table(
        "user_roles",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["roles.tenant_id", "roles.id"],
            name=op.f("fk_user_roles_tenant_id_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_user_roles_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_index(
        "ix_user_roles_tenant_role", "user_roles", ["tenant_id", "role_id"], unique=False
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = hrvault_current_tenant())"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_user_roles_tenant_role", table_name="user_roles")
    op.drop_table("user_roles")
    op.drop_table("role_grants")
    op.drop_table("role_abilities")
    op.drop_index("uq_roles_tenant_name", table_name="roles")
    op.drop_index(
        "uq_roles_tenant_builtin", table_name="roles", postgresql_where="builtin_key IS NOT NULL"
    )
    op.drop_table("roles")
