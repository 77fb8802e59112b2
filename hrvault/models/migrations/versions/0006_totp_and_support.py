"""totp and support access

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

TOTP credentials and recovery codes of tenant users, the login stage and step-up time of
sessions, throttling of wrong codes, the vendor's support staff with their own sessions
(platform data, not owned by any tenant), and support grants (owned by the tenant).

Platform tables still have forced row-level security: a staff row is visible only to a
transaction that named that staff member (``hrvault.staff_id``) or is logging in with
their email (``hrvault.staff_login``); a staff session only by its token digest or its
staff member. A tenant request sets neither, so it can never list the vendor's staff.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
STAFF_ID = "NULLIF(current_setting('hrvault.staff_id', true), '')::uuid"
STAFF_LOGIN = "NULLIF(current_setting('hrvault.staff_login', true), '')"
STAFF_TOKEN = "decode(NULLIF(current_setting('hrvault.staff_token', true), ''), 'hex')"  # noqa: S105 - SQL, not a secret
STAGES = "('full', 'totp_pending', 'enrol_only')"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE tenants ADD COLUMN step_up_window_seconds integer NOT NULL DEFAULT 600"
        " CONSTRAINT ck_tenants_step_up_window_range"
        " CHECK (step_up_window_seconds BETWEEN 60 AND 3600)"
    )
    op.execute("ALTER TABLE roles ADD COLUMN requires_totp boolean NOT NULL DEFAULT false")
    # Owner and HR Admin require TOTP by default, in every existing tenant too.
    op.execute(
        """
        DO $$ DECLARE t uuid; BEGIN
          FOR t IN SELECT id FROM tenants LOOP
            PERFORM set_config('hrvault.tenant_id', t::text, true);
            UPDATE roles SET requires_totp = true WHERE builtin_key IN ('owner', 'hr_admin');
          END LOOP;
          PERFORM set_config('hrvault.tenant_id', '', true);
        END $$
        """
    )
    op.execute(
        "ALTER TABLE sessions ADD COLUMN stage varchar(16) NOT NULL DEFAULT 'full'"
        f" CONSTRAINT ck_sessions_stage CHECK (stage IN {STAGES}),"
        " ADD COLUMN stepped_up_at timestamptz"
    )
    op.execute(
        """
        CREATE TABLE totp_credentials (
          tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
          user_id uuid NOT NULL,
          sealed_seed bytea NOT NULL,
          created_at timestamptz NOT NULL,
          confirmed_at timestamptz,
          last_step bigint,
          CONSTRAINT pk_totp_credentials PRIMARY KEY (tenant_id, user_id),
          CONSTRAINT fk_totp_credentials_user FOREIGN KEY (tenant_id, user_id)
            REFERENCES users (tenant_id, id) ON DELETE CASCADE
        )
        """
    )
    op.execute(
        """
        CREATE TABLE recovery_codes (
          tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
          id uuid NOT NULL,
          user_id uuid NOT NULL,
          code_hash bytea NOT NULL,
          used_at timestamptz,
          CONSTRAINT pk_recovery_codes PRIMARY KEY (tenant_id, id),
          CONSTRAINT uq_recovery_codes_code UNIQUE (tenant_id, user_id, code_hash),
          CONSTRAINT fk_recovery_codes_user FOREIGN KEY (tenant_id, user_id)
            REFERENCES users (tenant_id, id) ON DELETE CASCADE
        )
        """
    )
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
    op.execute(
        """
        CREATE TABLE support_staff (
          id uuid PRIMARY KEY,
          email varchar(254) NOT NULL,
          display_name varchar(200) NOT NULL,
          password_hash varchar(200) NOT NULL,
          sealed_seed bytea,
          totp_confirmed_at timestamptz,
          last_step bigint,
          is_active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX uq_support_staff_email ON support_staff (lower(email))")
    op.execute(
        f"""
        CREATE TABLE staff_sessions (
          id uuid PRIMARY KEY,
          staff_id uuid NOT NULL REFERENCES support_staff (id) ON DELETE CASCADE,
          token_hash bytea NOT NULL CONSTRAINT uq_staff_sessions_token UNIQUE,
          stage varchar(16) NOT NULL CONSTRAINT ck_staff_sessions_stage CHECK (stage IN {STAGES}),
          created_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          stepped_up_at timestamptz,
          revoked_at timestamptz,
          tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
          grant_id uuid
        )
        """
    )
    op.execute(
        """
        CREATE TABLE support_grants (
          tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
          id uuid NOT NULL,
          status varchar(16) NOT NULL CONSTRAINT ck_support_grants_status
            CHECK (status IN ('requested', 'approved', 'declined')),
          reason text NOT NULL,
          ticket varchar(100),
          field_groups varchar(32)[] NOT NULL,
          writable boolean NOT NULL,
          staff_id uuid REFERENCES support_staff (id),
          employee_ids uuid[],
          duration_seconds integer NOT NULL CONSTRAINT ck_support_grants_duration
            CHECK (duration_seconds BETWEEN 60 AND 259200),
          requested_by_staff uuid,
          requested_at timestamptz NOT NULL,
          decided_by uuid,
          starts_at timestamptz,
          expires_at timestamptz,
          revoked_at timestamptz,
          revoked_by uuid,
          CONSTRAINT pk_support_grants PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_support_grants_tenant_status ON support_grants (tenant_id, status)")

    for table in ("totp_credentials", "recovery_codes", "support_grants"):
        _force_rls(table, "tenant_id = hrvault_current_tenant()")
    _force_rls("support_staff", f"id = {STAFF_ID} OR lower(email) = {STAFF_LOGIN}")
    _force_rls("staff_sessions", f"staff_id = {STAFF_ID} OR token_hash = {STAFF_TOKEN}")
    # Throttle counters belong to no tenant (an IP address spans tenants); their keys are
    # SHA-256 digests, so the table names no account and no address in clear.
    _force_rls("auth_throttles", "true")

    for table in ("totp_credentials", "recovery_codes"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    for table in ("support_grants", "support_staff", "staff_sessions", "auth_throttles"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")


def _force_rls(table: str, condition: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY isolation ON {table} USING ({condition}) WITH CHECK ({condition})")


def downgrade() -> None:
    for table in (
        "support_grants",
        "staff_sessions",
        "support_staff",
        "auth_throttles",
        "recovery_codes",
        "totp_credentials",
    ):
        op.execute(f"DROP TABLE {table}")
    op.execute("ALTER TABLE sessions DROP COLUMN stage, DROP COLUMN stepped_up_at")
    op.execute("ALTER TABLE roles DROP COLUMN requires_totp")
    op.execute("ALTER TABLE tenants DROP COLUMN step_up_window_seconds")
