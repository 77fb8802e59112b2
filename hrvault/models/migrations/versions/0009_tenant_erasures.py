"""tenant erasures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

``tenant_erasures``: the platform's record of each offboarded tenant (``hrvault tenant
destroy``), kept after everything of the tenant, its own audit chain included, is gone.
It is platform data: the column is ``erased_tenant_id``, not ``tenant_id``, because the
row belongs to no tenant and must outlive the one it names. The application role gets no
privilege on it. A complete record never changes and no record is ever deleted.

The audit log stays append-only, with one narrow exception: a DELETE of a tenant's audit
records (and checkpoints) passes the trigger only inside the erasure of that tenant,
that is when the transaction is bound to the tenant, names it in
``hrvault.erasing_tenant``, its erasure record exists and no key of it is live any more.
The application role still has no DELETE privilege on these tables at all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"

APPEND_ONLY_REFUSAL = """
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
"""


def upgrade() -> None:
    op.create_table(
        "tenant_erasures",
        sa.Column("erased_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("destroyed_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("keys_destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_deleted", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("files_removed", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(completed_at IS NULL) = (rows_deleted IS NULL)"
            " AND (completed_at IS NULL) = (files_removed IS NULL)",
            name=op.f("ck_tenant_erasures_completed_together"),
        ),
        sa.PrimaryKeyConstraint("erased_tenant_id", name=op.f("pk_tenant_erasures")),
    )
    op.create_index("ix_tenant_erasures_slug", "tenant_erasures", ["slug"])
    op.execute(f"REVOKE ALL ON tenant_erasures FROM {APP_ROLE}")
    op.execute(
        """
        CREATE FUNCTION hrvault_erasure_record_is_final() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.completed_at IS NULL
             AND NEW.erased_tenant_id = OLD.erased_tenant_id THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'a tenant erasure record is kept as it was completed (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER final_once_complete BEFORE UPDATE OR DELETE ON tenant_erasures "
        "FOR EACH ROW EXECUTE FUNCTION hrvault_erasure_record_is_final()"
    )
    op.execute(
        "CREATE TRIGGER final_once_complete_truncate BEFORE TRUNCATE ON tenant_erasures "
        "FOR EACH STATEMENT EXECUTE FUNCTION hrvault_erasure_record_is_final()"
    )
    op.execute(
        """
        CREATE FUNCTION hrvault_tenant_is_being_erased(tenant uuid) RETURNS boolean
        LANGUAGE sql STABLE AS $$
          SELECT current_setting('hrvault.erasing_tenant', true) = tenant::text
            AND public.hrvault_current_tenant() = tenant
            AND EXISTS (SELECT 1 FROM public.tenant_erasures e WHERE e.erased_tenant_id = tenant)
            AND NOT EXISTS (SELECT 1 FROM keystore.tenant_keys k
                            WHERE k.tenant_id = tenant AND k.wrapped IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM keystore.person_keys k
                            WHERE k.tenant_id = tenant AND k.wrapped IS NOT NULL)
        $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION hrvault_audit_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' AND hrvault_tenant_is_being_erased(OLD.tenant_id) THEN
            RETURN OLD;
          END IF;
          {APPEND_ONLY_REFUSAL}
        END $$
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION hrvault_audit_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          {APPEND_ONLY_REFUSAL}
        END $$
        """
    )
    op.execute("DROP FUNCTION hrvault_tenant_is_being_erased(uuid)")
    op.drop_table("tenant_erasures")
    op.execute("DROP FUNCTION hrvault_erasure_record_is_final()")
