"""key store

Revision ID: 0004_keystore
Revises: 0003_throttle
Create Date: 2026-11-28

The ``keystore`` schema: master key check values, wrapped tenant keys and wrapped person
keys, apart from the data schema so that data backups can exclude it. Tenant-owned key
rows are under forced row-level security like every tenant table. The application role
may read, add and update key rows (only the columns a key's life changes), never delete
them; a trigger keeps retired and destroyed keys that way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_keystore"
down_revision = "0003_throttle"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
SCHEMA = "keystore"
TERMINAL = "('retired', 'destroyed')"
STATES = "('active', 'decrypt_only', 'retired', 'destroyed')"


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(
        f"COMMENT ON SCHEMA {SCHEMA} IS 'Wrapped keys only. Exclude from data backups "
        "(pg_dump --exclude-schema=keystore) and back up on its own short retention.'"
    )
    op.create_table(
        "master_keys",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version > 0", name="version_positive"),
        sa.PrimaryKeyConstraint("version", name="pk_master_keys"),
        schema=SCHEMA,
    )
    op.create_table(
        "tenant_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("master_version", sa.Integer(), nullable=True),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("seals_reserved", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("purpose IN ('data', 'index')", name="purpose"),
        sa.CheckConstraint("version > 0", name="version_positive"),
        sa.CheckConstraint(f"state IN {STATES}", name="state"),
        sa.CheckConstraint(f"(state IN {TERMINAL}) = (wrapped IS NULL)", name="wrapped_while_live"),
        sa.CheckConstraint(
            "(wrapped IS NULL) = (master_version IS NULL)",
            name="master_version_with_wrapped",
        ),
        sa.CheckConstraint("seals_reserved >= 0", name="seals_reserved"),
        sa.ForeignKeyConstraint(
            ["master_version"],
            [f"{SCHEMA}.master_keys.version"],
            name="fk_tenant_keys_master_version_master_keys",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "purpose", "version", name="pk_tenant_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_tenant_keys_one_active",
        "tenant_keys",
        ["tenant_id", "purpose"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_index(
        "ix_tenant_keys_master_version",
        "tenant_keys",
        ["master_version"],
        schema=SCHEMA,
        postgresql_where=sa.text("wrapped IS NOT NULL"),
    )
    op.create_table(
        "person_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tenant_key_version", sa.Integer(), nullable=True),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("seals_reserved", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("version > 0", name="version_positive"),
        sa.CheckConstraint(f"state IN {STATES}", name="state"),
        sa.CheckConstraint(f"(state IN {TERMINAL}) = (wrapped IS NULL)", name="wrapped_while_live"),
        sa.CheckConstraint(
            "(wrapped IS NULL) = (tenant_key_version IS NULL)",
            name="tenant_version_with_wrapped",
        ),
        sa.CheckConstraint("seals_reserved >= 0", name="seals_reserved"),
        sa.PrimaryKeyConstraint("tenant_id", "employee_id", "version", name="pk_person_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_person_keys_one_active",
        "person_keys",
        ["tenant_id", "employee_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_index(
        "ix_person_keys_tenant_key_version",
        "person_keys",
        ["tenant_id", "tenant_key_version"],
        schema=SCHEMA,
        postgresql_where=sa.text("wrapped IS NOT NULL"),
    )
    _keep_terminal_keys_terminal()
    _enable_row_level_security()
    _grant_app_role()


def downgrade() -> None:
    op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def _keep_terminal_keys_terminal() -> None:
    """A retired or destroyed key row never changes again: nothing can bring it back."""
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_change_to_terminal_key() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'keystore: a % key row never changes', OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    for table in ("tenant_keys", "person_keys"):
        op.execute(
            f"CREATE TRIGGER terminal_keys_stay_terminal BEFORE UPDATE ON {SCHEMA}.{table} "
            f"FOR EACH ROW WHEN (OLD.state IN {TERMINAL}) "
            f"EXECUTE FUNCTION {SCHEMA}.refuse_change_to_terminal_key()"
        )


def _enable_row_level_security() -> None:
    """Tenant key rows show only to the transaction's tenant, like every tenant table.

    ``rotate-master`` and the start-up check must list wrapped tenant keys of every
    tenant: a transaction that sets ``hrvault.keystore_scan`` to ``on`` may read (never
    write) all of them. What it reads is wrapped under the master key, and writing still
    needs the row's tenant bound.
    """
    for table in ("tenant_keys", "person_keys"):
        op.execute(f"ALTER TABLE {SCHEMA}.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {SCHEMA}.{table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {SCHEMA}.{table} "
            "USING (tenant_id = public.hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = public.hrvault_current_tenant())"
        )
    op.execute(
        f"CREATE POLICY operator_scan ON {SCHEMA}.tenant_keys FOR SELECT "
        "USING (current_setting('hrvault.keystore_scan', true) = 'on')"
    )


def _grant_app_role() -> None:
    op.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {SCHEMA}.master_keys TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {SCHEMA}.tenant_keys, {SCHEMA}.person_keys TO {APP_ROLE}")
    op.execute(
        "GRANT UPDATE (state, master_version, wrapped, seals_reserved, retired_at) "
        f"ON {SCHEMA}.tenant_keys TO {APP_ROLE}"
    )
    op.execute(
        "GRANT UPDATE (state, tenant_key_version, wrapped, seals_reserved, retired_at) "
        f"ON {SCHEMA}.person_keys TO {APP_ROLE}"
    )
