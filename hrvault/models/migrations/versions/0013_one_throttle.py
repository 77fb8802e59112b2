"""one credential throttle

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Passwords and second-factor codes are throttled by one mechanism in ``credential_buckets``
(issue 15): buckets per account and address, per account and per address. Buckets gain
``attempts`` (since the bucket was last full: a backing-off limit waits longer after each
one past its burst) and ``trusted_until`` (an address where the account's secret was
right escapes the account's ceiling until then). The second-factor counters of
``auth_throttles`` go; what they held was a few seconds to an hour of back-off, which
starts afresh.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"


def upgrade() -> None:
    op.add_column(
        "credential_buckets",
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.alter_column("credential_buckets", "attempts", server_default=None)
    op.add_column(
        "credential_buckets", sa.Column("trusted_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_check_constraint(
        op.f("ck_credential_buckets_attempts_not_negative"), "credential_buckets", "attempts >= 0"
    )
    op.execute("DROP TABLE auth_throttles")


def downgrade() -> None:
    op.execute(
        """
        CREATE TABLE auth_throttles (
          key bytea PRIMARY KEY,
          failures integer NOT NULL,
          window_started_at timestamptz NOT NULL,
          blocked_until timestamptz
        )
        """
    )
    op.execute("ALTER TABLE auth_throttles ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE auth_throttles FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY isolation ON auth_throttles USING (true) WITH CHECK (true)")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON auth_throttles TO {APP_ROLE}")
    op.drop_constraint(
        op.f("ck_credential_buckets_attempts_not_negative"), "credential_buckets", type_="check"
    )
    op.drop_column("credential_buckets", "trusted_until")
    op.drop_column("credential_buckets", "attempts")
