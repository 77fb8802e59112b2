"""credential attempt buckets

Revision ID: 0003_throttle
Revises: 0002
Create Date: 2026-12-02

Token buckets for throttling credential attempts (login now; TOTP, recovery codes and
step-up later) per account and per client address, shared by every server process.

The table holds no tenant data: keys are SHA-256 hashes of an account name or a client
address, and it must answer before any tenant is bound (login names its tenant by
slug). So it has no ``tenant_id`` and no row-level security. The application role gets
exactly the four statements it uses; it cannot truncate the table, alter it or grant
anything on it. This migration depends on nothing but the initial schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_throttle"
down_revision = "0002"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"


def upgrade() -> None:
    op.create_table(
        "credential_buckets",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "octet_length(key_hash) = 32", name=op.f("ck_credential_buckets_key_is_sha256")
        ),
        sa.CheckConstraint("tokens >= 0", name=op.f("ck_credential_buckets_tokens_not_negative")),
        sa.PrimaryKeyConstraint("scope", "key_hash", name=op.f("pk_credential_buckets")),
    )
    op.create_index("ix_credential_buckets_full_at", "credential_buckets", ["full_at"])
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON credential_buckets TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON credential_buckets FROM {APP_ROLE}")
    op.drop_index("ix_credential_buckets_full_at", table_name="credential_buckets")
    op.drop_table("credential_buckets")
