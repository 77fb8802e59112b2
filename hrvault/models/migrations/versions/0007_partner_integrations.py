"""partner integrations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Partner integrations (the tenant's recorded consent: categories, access, country, transfer
basis, optional restriction to people or departments) and their API tokens, stored only as
a keyed hash. Tenant-owned, under the same forced row-level security as everything else.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TABLES = ("integrations", "partner_tokens")


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.Column("processing_country", sa.String(length=2), nullable=False),
        sa.Column("transfer_basis", sa.String(length=32), nullable=True),
        sa.Column("employee_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("department_ids", postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column("consented_by", sa.Uuid(), nullable=False),
        sa.Column("consented_by_name", sa.String(length=200), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("access IN ('read', 'read_write')", name=op.f("ck_integrations_access")),
        sa.CheckConstraint(
            "transfer_basis IS NULL OR transfer_basis IN "
            "('adequacy', 'standard_contractual_clauses', 'explicit_consent')",
            name=op.f("ck_integrations_transfer_basis"),
        ),
        sa.CheckConstraint("cardinality(categories) > 0", name=op.f("ck_integrations_categories")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_integrations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_integrations")),
    )
    op.create_table(
        "partner_tokens",
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("display_prefix", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_ip", postgresql.INET(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("rotated_from", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "integration_id"],
            ["integrations.tenant_id", "integrations.id"],
            name=op.f("fk_partner_tokens_tenant_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_partner_tokens_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_partner_tokens")),
    )
    op.create_index(
        "uq_partner_tokens_tenant_hash", "partner_tokens", ["tenant_id", "token_hash"], unique=True
    )
    op.create_index(
        "ix_partner_tokens_tenant_integration",
        "partner_tokens",
        ["tenant_id", "integration_id"],
        unique=False,
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = hrvault_current_tenant())"
        )
    # Consent records and tokens are revoked, never deleted: the register must keep them.
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON integrations TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON partner_tokens TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_partner_tokens_tenant_integration", table_name="partner_tokens")
    op.drop_index("uq_partner_tokens_tenant_hash", table_name="partner_tokens")
    op.drop_table("partner_tokens")
    op.drop_table("integrations")
