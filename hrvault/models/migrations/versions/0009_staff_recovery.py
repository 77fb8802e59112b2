"""tenant users' seeds under the tenant key

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01

- ``totp_credentials``: a tenant user's seed is now sealed under the tenant data key in
  ``seed_sealed``, a registered sealed column (so key rotation re-seals it and destroying
  the tenant's keys shreds it). Such a column lives in a table keyed by
  ``(tenant_id, id)``, so ``user_id`` becomes ``id``: a credential's id is its user's id,
  which also binds the sealed seed to that user. Seeds enrolled before, sealed under the
  platform key, stay in ``platform_sealed_seed`` until their first accepted code re-seals
  them under the tenant key; a row holds exactly one of the two.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE totp_credentials RENAME COLUMN user_id TO id")
    op.execute("ALTER TABLE totp_credentials RENAME COLUMN sealed_seed TO platform_sealed_seed")
    op.execute(
        "ALTER TABLE totp_credentials ALTER COLUMN platform_sealed_seed DROP NOT NULL,"
        " ADD COLUMN seed_sealed bytea,"
        " ADD CONSTRAINT ck_totp_credentials_one_seed"
        " CHECK ((seed_sealed IS NULL) <> (platform_sealed_seed IS NULL))"
    )
    op.execute(
        "COMMENT ON COLUMN totp_credentials.platform_sealed_seed IS"
        " 'enrolled before seeds moved under the tenant key; re-sealed at its next accepted code'"
    )


def downgrade() -> None:
    # Seeds already under the tenant key cannot go back without the keyring: those users
    # enrol again.
    op.execute(
        """
        DO $$ DECLARE t uuid; BEGIN
          FOR t IN SELECT id FROM tenants LOOP
            PERFORM set_config('hrvault.tenant_id', t::text, true);
            DELETE FROM totp_credentials WHERE seed_sealed IS NOT NULL;
          END LOOP;
          PERFORM set_config('hrvault.tenant_id', '', true);
        END $$
        """
    )
    op.execute(
        "ALTER TABLE totp_credentials DROP CONSTRAINT ck_totp_credentials_one_seed,"
        " DROP COLUMN seed_sealed, ALTER COLUMN platform_sealed_seed SET NOT NULL"
    )
    op.execute("ALTER TABLE totp_credentials RENAME COLUMN platform_sealed_seed TO sealed_seed")
    op.execute("ALTER TABLE totp_credentials RENAME COLUMN id TO user_id")
