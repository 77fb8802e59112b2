"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28

The tables of the HR core, row-level security on every tenant-owned table, and the
unprivileged application role that serves requests.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "idle_timeout_seconds", sa.Integer(), server_default=sa.text("1800"), nullable=False
        ),
        sa.Column(
            "absolute_lifetime_seconds",
            sa.Integer(),
            server_default=sa.text("43200"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name=op.f("ck_tenants_slug_format")
        ),
        sa.CheckConstraint(
            "absolute_lifetime_seconds BETWEEN 300 AND 2592000",
            name=op.f("ck_tenants_absolute_lifetime_range"),
        ),
        sa.CheckConstraint(
            "idle_timeout_seconds BETWEEN 60 AND 86400", name=op.f("ck_tenants_idle_timeout_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    op.create_table(
        "absence_types",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_health_related", sa.Boolean(), nullable=False),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "code ~ '^[a-z][a-z0-9_]{0,31}$'", name=op.f("ck_absence_types_code_format")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_absence_types_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_absence_types")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_absence_types_tenant_id_code")),
    )
    op.create_table(
        "departments",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("head_employee_id", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_departments_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["departments.tenant_id", "departments.id"],
            name=op.f("fk_departments_tenant_id_parent_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_departments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_departments")),
    )
    op.create_index(
        "ix_departments_tenant_parent", "departments", ["tenant_id", "parent_id"], unique=False
    )
    op.create_table(
        "employees",
        sa.Column("employee_number", sa.String(length=32), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("work_email", sa.String(length=254), nullable=True),
        sa.Column("work_phone", sa.String(length=40), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pre_hire",
                "active",
                "on_leave",
                "terminated",
                name="employeestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
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
            name=op.f("fk_employees_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_employees")),
        sa.UniqueConstraint(
            "tenant_id", "employee_number", name=op.f("uq_employees_tenant_id_employee_number")
        ),
    )
    op.create_index(
        "ix_employees_tenant_name",
        "employees",
        ["tenant_id", "last_name", "first_name", "id"],
        unique=False,
    )
    op.create_table(
        "offices",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "country_code ~ '^[A-Z]{2}$'", name=op.f("ck_offices_country_code_format")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_offices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_offices")),
    )
    op.create_index(
        "uq_offices_tenant_name", "offices", ["tenant_id", sa.text("lower(name)")], unique=True
    )
    op.create_table(
        "absences",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("absence_type_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "rejected",
                "cancelled",
                name="absencestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("approver_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_absences_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "absence_type_id"],
            ["absence_types.tenant_id", "absence_types.id"],
            name=op.f("fk_absences_tenant_id_absence_type_id_absence_types"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "approver_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_absences_tenant_id_approver_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_absences_tenant_id_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_absences_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_absences")),
    )
    op.create_index(
        "ix_absences_tenant_employee",
        "absences",
        ["tenant_id", "employee_id", "start_date"],
        unique=False,
    )
    op.create_table(
        "employments",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column(
            "employment_type",
            sa.Enum(
                "permanent",
                "fixed_term",
                "hourly",
                "contractor",
                "intern",
                name="employmenttype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("fte_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("legal_entity", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "country_code ~ '^[A-Z]{2}$'", name=op.f("ck_employments_country_code_format")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_employments_dates_ordered")
        ),
        sa.CheckConstraint(
            "fte_percent > 0 AND fte_percent <= 100", name=op.f("ck_employments_fte_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_employments_tenant_id_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_employments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_employments")),
    )
    op.create_index(
        "ix_employments_tenant_employee", "employments", ["tenant_id", "employee_id"], unique=False
    )
    op.create_table(
        "job_assignments",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("office_id", sa.Uuid(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["departments.tenant_id", "departments.id"],
            name=op.f("fk_job_assignments_tenant_id_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_job_assignments_tenant_id_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "office_id"],
            ["offices.tenant_id", "offices.id"],
            name=op.f("fk_job_assignments_tenant_id_office_id_offices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_job_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_job_assignments")),
        sa.UniqueConstraint(
            "tenant_id",
            "employee_id",
            "effective_from",
            name=op.f("uq_job_assignments_tenant_id_employee_id_effective_from"),
        ),
    )
    op.create_index(
        "ix_job_assignments_tenant_department",
        "job_assignments",
        ["tenant_id", "department_id"],
        unique=False,
    )
    op.create_table(
        "reporting_lines",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "manager_id IS NULL OR manager_id <> employee_id",
            name=op.f("ck_reporting_lines_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_reporting_lines_tenant_id_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "manager_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_reporting_lines_tenant_id_manager_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_reporting_lines_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reporting_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "employee_id",
            "effective_from",
            name=op.f("uq_reporting_lines_tenant_id_employee_id_effective_from"),
        ),
    )
    op.create_index(
        "ix_reporting_lines_tenant_manager",
        "reporting_lines",
        ["tenant_id", "manager_id"],
        unique=False,
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_users_tenant_id_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_users_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
    )
    op.create_index(
        "uq_users_tenant_email", "users", ["tenant_id", sa.text("lower(email)")], unique=True
    )
    op.create_index(
        "uq_users_tenant_employee",
        "users",
        ["tenant_id", "employee_id"],
        unique=True,
        postgresql_where="employee_id IS NOT NULL",
    )
    op.create_table(
        "sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_sessions_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    op.create_index("ix_sessions_tenant_user", "sessions", ["tenant_id", "user_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_departments_tenant_id_head_employee_id_employees"),
        "departments",
        "employees",
        ["tenant_id", "head_employee_id"],
        ["tenant_id", "id"],
    )
    _enable_row_level_security()
    _create_app_role()


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_departments_tenant_id_head_employee_id_employees"),
        "departments",
        type_="foreignkey",
    )
    op.drop_index("ix_sessions_tenant_user", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(
        "uq_users_tenant_employee", table_name="users", postgresql_where="employee_id IS NOT NULL"
    )
    op.drop_index("uq_users_tenant_email", table_name="users")
    op.drop_table("users")
    op.drop_index("ix_reporting_lines_tenant_manager", table_name="reporting_lines")
    op.drop_table("reporting_lines")
    op.drop_index("ix_job_assignments_tenant_department", table_name="job_assignments")
    op.drop_table("job_assignments")
    op.drop_index("ix_employments_tenant_employee", table_name="employments")
    op.drop_table("employments")
    op.drop_index("ix_absences_tenant_employee", table_name="absences")
    op.drop_table("absences")
    op.drop_index("uq_offices_tenant_name", table_name="offices")
    op.drop_table("offices")
    op.drop_index("ix_employees_tenant_name", table_name="employees")
    op.drop_table("employees")
    op.drop_index("ix_departments_tenant_parent", table_name="departments")
    op.drop_table("departments")
    op.drop_table("absence_types")
    op.drop_table("tenants")
    op.execute("DROP FUNCTION hrvault_current_tenant()")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")


APP_ROLE = "hrvault_app"
TENANT_TABLES = (
    "absence_types",
    "absences",
    "departments",
    "employees",
    "employments",
    "job_assignments",
    "offices",
    "reporting_lines",
    "sessions",
    "users",
)


def _enable_row_level_security() -> None:
    """Every tenant-owned table only shows the rows of the transaction's tenant.

    An unset tenant matches nothing (NULL), so a query that forgot to bind its tenant
    sees no rows instead of all of them. FORCE applies the policies to the owner too.
    """
    op.execute(
        """
        CREATE FUNCTION hrvault_current_tenant() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('hrvault.tenant_id', true), '')::uuid $$
        """
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = hrvault_current_tenant())"
        )
    # Login names a tenant by slug before the transaction knows its id: the login path
    # sets hrvault.login_slug for that one lookup, and only that tenant's row shows.
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON tenants "
        "USING (id = hrvault_current_tenant() "
        "OR slug = NULLIF(current_setting('hrvault.login_slug', true), '')) "
        "WITH CHECK (id = hrvault_current_tenant())"
    )


def _create_app_role() -> None:
    """The role requests run as: owns nothing, cannot bypass row-level security."""
    op.execute(
        f"""
        DO $$ BEGIN
          -- Roles are cluster-wide: another database of the same cluster, migrating at
          -- the same moment, may create it first.
          BEGIN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END;
          EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database());
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON tenants TO {APP_ROLE}")
    for table in TENANT_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
