"""documents

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Employees' documents (issue 9): the tenant's document categories (each governed by a field
group, with employee-visible and employee-uploadable flags), the documents (their file key
and filename sealed under the employee's person key, the body in the file store) and
single-use download links (SHA-256 of the token only). Every table is tenant-owned, keyed
``(tenant_id, id)``, linked by composite foreign keys and under forced row-level security.
Tenants gain ``max_document_bytes`` (default 25 MiB). Existing tenants get the built-in
categories.

Documents are immutable: the application role may only re-seal their two sealed columns
(re-encryption), never change what a document is.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TABLES = ("document_categories", "documents", "document_links")
PERSON_GROUPS = (
    "'basic', 'job', 'employment', 'personal', 'identity', 'bank', 'emergency', 'salary',"
    " 'absence', 'absence_reason', 'documents'"
)
# Kept in step with hrvault/documents/categories.py (BUILTIN_CATEGORIES).
BUILTIN = (
    ("contract", "Contract", "documents", True, False),
    ("payslip", "Payslip", "salary", True, False),
    ("identity_document", "Identity document", "identity", True, True),
    ("medical_certificate", "Medical certificate", "absence_reason", True, True),
    ("other", "Other", "documents", True, True),
)


def upgrade() -> None:
    op.execute(
        "ALTER TABLE tenants ADD COLUMN max_document_bytes bigint NOT NULL DEFAULT 26214400"
        " CONSTRAINT ck_tenants_max_document_bytes_range"
        " CHECK (max_document_bytes BETWEEN 1024 AND 1073741824)"
    )
    op.execute(
        f"""
        CREATE TABLE document_categories (
          tenant_id uuid NOT NULL,
          id uuid NOT NULL,
          code varchar(40) NOT NULL,
          name varchar(100) NOT NULL,
          field_group varchar(32) NOT NULL,
          employee_visible boolean NOT NULL,
          employee_uploadable boolean NOT NULL,
          builtin boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL,
          created_by uuid,
          updated_at timestamptz NOT NULL,
          updated_by uuid,
          version integer NOT NULL DEFAULT 1,
          CONSTRAINT pk_document_categories PRIMARY KEY (tenant_id, id),
          CONSTRAINT fk_document_categories_tenant_id_tenants FOREIGN KEY (tenant_id)
            REFERENCES tenants (id) ON DELETE CASCADE,
          CONSTRAINT uq_document_categories_tenant_id_code UNIQUE (tenant_id, code),
          CONSTRAINT ck_document_categories_code_format CHECK (code ~ '^[a-z][a-z0-9_]{{1,39}}$'),
          CONSTRAINT ck_document_categories_field_group CHECK (field_group IN ({PERSON_GROUPS}))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE documents (
          tenant_id uuid NOT NULL,
          id uuid NOT NULL,
          employee_id uuid NOT NULL,
          category_id uuid NOT NULL,
          file_key_sealed bytea NOT NULL,
          filename_sealed bytea NOT NULL,
          content_type varchar(100) NOT NULL,
          size_bytes bigint NOT NULL,
          sha256 bytea NOT NULL,
          created_at timestamptz NOT NULL,
          created_by uuid,
          CONSTRAINT pk_documents PRIMARY KEY (tenant_id, id),
          CONSTRAINT fk_documents_tenant_id_tenants FOREIGN KEY (tenant_id)
            REFERENCES tenants (id) ON DELETE CASCADE,
          CONSTRAINT fk_documents_tenant_id_employees FOREIGN KEY (tenant_id, employee_id)
            REFERENCES employees (tenant_id, id),
          CONSTRAINT fk_documents_tenant_id_document_categories FOREIGN KEY (tenant_id, category_id)
            REFERENCES document_categories (tenant_id, id),
          CONSTRAINT ck_documents_size CHECK (size_bytes >= 0),
          CONSTRAINT ck_documents_sha256_length CHECK (octet_length(sha256) = 32)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_documents_tenant_employee ON documents (tenant_id, employee_id, created_at)"
    )
    op.execute(
        """
        CREATE TABLE document_links (
          tenant_id uuid NOT NULL,
          id uuid NOT NULL,
          document_id uuid NOT NULL,
          token_hash bytea NOT NULL,
          principal_kind varchar(16) NOT NULL,
          actor_id uuid NOT NULL,
          actor_name varchar(200) NOT NULL,
          session_id uuid NOT NULL,
          via_kind varchar(32),
          via_id uuid,
          via_reason text,
          created_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          CONSTRAINT pk_document_links PRIMARY KEY (tenant_id, id),
          CONSTRAINT fk_document_links_tenant_id_tenants FOREIGN KEY (tenant_id)
            REFERENCES tenants (id) ON DELETE CASCADE,
          CONSTRAINT fk_document_links_tenant_id_documents FOREIGN KEY (tenant_id, document_id)
            REFERENCES documents (tenant_id, id) ON DELETE CASCADE,
          CONSTRAINT ck_document_links_principal_kind CHECK (principal_kind IN ('user', 'support'))
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_document_links_tenant_hash ON document_links (tenant_id, token_hash)"
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = hrvault_current_tenant())"
        )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON document_categories TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, DELETE ON documents TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (file_key_sealed, filename_sealed) ON documents TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, DELETE ON document_links TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (used_at) ON document_links TO {APP_ROLE}")

    values = ", ".join(
        f"('{code}', '{name}', '{group}', {str(visible).lower()}, {str(uploadable).lower()})"
        for code, name, group, visible, uploadable in BUILTIN
    )
    op.execute(
        f"""
        DO $$ DECLARE t uuid; BEGIN
          FOR t IN SELECT id FROM tenants LOOP
            PERFORM set_config('hrvault.tenant_id', t::text, true);
            INSERT INTO document_categories (tenant_id, id, code, name, field_group,
                employee_visible, employee_uploadable, builtin, created_at, updated_at)
              SELECT t, gen_random_uuid(), c.code, c.name, c.grp, c.visible, c.uploadable,
                     true, now(), now()
                FROM (VALUES {values}) AS c (code, name, grp, visible, uploadable)
              ON CONFLICT DO NOTHING;
          END LOOP;
          PERFORM set_config('hrvault.tenant_id', '', true);
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE document_links")
    op.execute("DROP TABLE documents")
    op.execute("DROP TABLE document_categories")
    op.execute("ALTER TABLE tenants DROP COLUMN max_document_bytes")
