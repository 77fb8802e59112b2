"""sensitive details

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A person's personal, identity, bank, emergency and pay details, and the reason notes of
absences. Every value column is ``*_sealed`` bytea (AES-256-GCM under the person's key,
see ``hrvault.crypto.columns``); national ids and IBANs carry a blind-index digest so the
database enforces "one per tenant" without ever holding them in clear.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TRACKED = """
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  employee_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  created_by uuid,
  updated_at timestamptz NOT NULL,
  updated_by uuid,
  version integer NOT NULL DEFAULT 1,
"""


def _person(table: str) -> str:
    return (
        f"CONSTRAINT pk_{table} PRIMARY KEY (tenant_id, id),"
        f" CONSTRAINT fk_{table}_tenant_id_employees FOREIGN KEY (tenant_id, employee_id)"
        " REFERENCES employees (tenant_id, id) ON DELETE CASCADE"
    )


TABLES: dict[str, str] = {
    "employee_personal": """
        birth_date_sealed bytea, gender_sealed bytea, nationality_sealed bytea,
        private_email_sealed bytea, private_phone_sealed bytea, home_address_sealed bytea,
        CONSTRAINT uq_employee_personal_tenant_id_employee_id UNIQUE (tenant_id, employee_id),
    """,
    "employee_identity": """
        national_id_sealed bytea, national_id_country_sealed bytea,
        national_id_index bytea CHECK (octet_length(national_id_index) = 32),
        passport_number_sealed bytea, passport_expiry_sealed bytea,
        CONSTRAINT uq_employee_identity_tenant_id_employee_id UNIQUE (tenant_id, employee_id),
        CONSTRAINT uq_employee_identity_tenant_id_national_id_index
            UNIQUE (tenant_id, national_id_index),
    """,
    "bank_accounts": """
        is_primary boolean NOT NULL,
        iban_sealed bytea, iban_index bytea NOT NULL CHECK (octet_length(iban_index) = 32),
        bic_sealed bytea, bank_name_sealed bytea, holder_sealed bytea,
        CONSTRAINT uq_bank_accounts_tenant_id_iban_index UNIQUE (tenant_id, iban_index),
    """,
    "emergency_contacts": """
        position smallint NOT NULL CHECK (position BETWEEN 1 AND 10),
        name_sealed bytea, relation_sealed bytea, phone_sealed bytea, email_sealed bytea,
    """,
    "compensations": """
        effective_from date NOT NULL,
        amount_sealed bytea, currency_sealed bytea, period_sealed bytea,
        pay_frequency_sealed bytea, reason_sealed bytea,
        CONSTRAINT uq_compensations_tenant_id_employee_id_effective_from
            UNIQUE (tenant_id, employee_id, effective_from),
    """,
    "additional_compensations": """
        kind_sealed bytea, amount_sealed bytea, currency_sealed bytea,
        start_date_sealed bytea, end_date_sealed bytea, description_sealed bytea,
    """,
}


def upgrade() -> None:
    for table, columns in TABLES.items():
        op.execute(f"CREATE TABLE {table} ({TRACKED} {columns} {_person(table)})")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = hrvault_current_tenant()) "
            "WITH CHECK (tenant_id = hrvault_current_tenant())"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(
        "CREATE UNIQUE INDEX uq_bank_accounts_one_primary ON bank_accounts"
        " (tenant_id, employee_id) WHERE is_primary"
    )
    op.execute(
        "CREATE INDEX ix_emergency_contacts_employee ON emergency_contacts (tenant_id, employee_id)"
    )
    op.execute(
        "CREATE INDEX ix_additional_compensations_employee"
        " ON additional_compensations (tenant_id, employee_id)"
    )
    op.execute("ALTER TABLE absences ADD COLUMN reason_sealed bytea")


def downgrade() -> None:
    op.execute("ALTER TABLE absences DROP COLUMN reason_sealed")
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}")
