"""audit log

Revision ID: 0005
Revises: 0004_keystore
Create Date: 2026-11-28

The per-tenant hash-chained audit log, its chain heads and signed checkpoints. Records are
append-only for the application role (no UPDATE, DELETE or TRUNCATE, also blocked by
trigger). The owner role may read every chain head for maintenance (signing checkpoints).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004_keystore"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TABLES = ("audit_log", "audit_heads", "audit_checkpoints")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_checkpoints_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "audit_heads",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_heads_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("format_version", sa.SmallInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("via_kind", sa.String(length=32), nullable=True),
        sa.Column("via_id", sa.Uuid(), nullable=True),
        sa.Column("via_reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("operation", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_log_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_tenant_action_time",
        "audit_log",
        ["tenant_id", "action", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_audit_log_tenant_actor", "audit_log", ["tenant_id", "actor_id"], unique=False
    )
    op.create_index(
        "ix_audit_log_tenant_entity",
        "audit_log",
        ["tenant_id", "entity_type", "entity_id"],
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
    # Maintenance (checkpoint signing, built-in role sync) lists tenants as the owner role;
    # these policies apply to that role only, never to the application role.
    for table in ("tenants", "audit_heads"):
        op.execute(
            f"DO $$ BEGIN EXECUTE format('CREATE POLICY owner_maintenance ON {table} "
            f"FOR SELECT TO %I USING (true)', current_user); END $$"
        )
    op.execute(f"GRANT SELECT, INSERT ON audit_log TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_heads TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit_checkpoints TO {APP_ROLE}")
    op.execute(
        """
        CREATE FUNCTION hrvault_audit_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    for table in ("audit_log", "audit_checkpoints"):
        op.execute(
            f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hrvault_audit_is_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hrvault_audit_is_append_only()"
        )


def downgrade() -> None:
    op.execute("DROP POLICY owner_maintenance ON tenants")
    op.drop_index("ix_audit_log_tenant_entity", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_actor", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_action_time", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("audit_heads")
    op.drop_table("audit_checkpoints")
    op.execute("DROP FUNCTION hrvault_audit_is_append_only()")
