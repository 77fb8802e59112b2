"""staff recovery codes, staff audit log, tenant users' seeds under the tenant key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

- ``staff_recovery_codes``: support staff get single-use recovery codes like tenant users.
- ``staff_audit_log``: what happens to staff accounts (creation, TOTP enrolment and
  reset, logins, logouts), append-only like the tenants' audit log. Staff belong to no
  tenant, so their account events have no tenant chain to go to.
- ``totp_credentials``: a tenant user's seed is now sealed under the tenant data key in
  ``seed_sealed``, a registered sealed column (so key rotation re-seals it and destroying
  the tenant's keys shreds it). Such a column lives in a table keyed by
  ``(tenant_id, id)``, so ``user_id`` becomes ``id``: a credential's id is its user's id,
  which also binds the sealed seed to that user. Seeds enrolled before, sealed under the
  platform key, stay in ``platform_sealed_seed`` until their first accepted code re-seals
  them under the tenant key; a row holds exactly one of the two.

Both new tables are platform tables (no tenant), under forced row-level security keyed
on the staff member the transaction named (``hrvault.staff_id``), like ``support_staff``.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
STAFF_ID = "NULLIF(current_setting('hrvault.staff_id', true), '')::uuid"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE staff_recovery_codes (
          id uuid PRIMARY KEY,
          staff_id uuid NOT NULL REFERENCES support_staff (id) ON DELETE CASCADE,
          code_hash bytea NOT NULL,
          used_at timestamptz,
          CONSTRAINT uq_staff_recovery_codes_code UNIQUE (staff_id, code_hash)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE staff_audit_log (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          staff_id uuid NOT NULL REFERENCES support_staff (id),
          occurred_at timestamptz NOT NULL,
          action varchar(32) NOT NULL,
          actor_kind varchar(16) NOT NULL
            CONSTRAINT ck_staff_audit_log_actor_kind CHECK (actor_kind IN ('support', 'system')),
          actor_name varchar(200) NOT NULL,
          request_id varchar(64),
          client_ip varchar(64),
          details jsonb NOT NULL DEFAULT '{}'::jsonb
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_staff_audit_log_staff_time ON staff_audit_log (staff_id, occurred_at)"
    )
    for table in ("staff_recovery_codes", "staff_audit_log"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY isolation ON {table}"
            f" USING (staff_id = {STAFF_ID}) WITH CHECK (staff_id = {STAFF_ID})"
        )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON staff_recovery_codes TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON staff_audit_log TO {APP_ROLE}")
    # The trigger function of the tenants' audit log (migration 0005) refuses the same.
    op.execute(
        "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON staff_audit_log"
        " FOR EACH ROW EXECUTE FUNCTION hrvault_audit_is_append_only()"
    )
    op.execute(
        "CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON staff_audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION hrvault_audit_is_append_only()"
    )

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
    op.execute("DROP TABLE staff_audit_log")
    op.execute("DROP TABLE staff_recovery_codes")
