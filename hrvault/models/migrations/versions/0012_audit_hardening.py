"""audit hardening: heads move only by appending, refusals counted, staff log chained

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

- The application role holds no UPDATE, DELETE or TRUNCATE on any audit table. A chain
  head moves only when a record that extends it is inserted (trigger
  ``advance_head``, SECURITY DEFINER): a record that does not link to the head is
  refused, so the head always names the chain's last record and a removed tail shows.
  Appenders lock the head through ``hrvault_audit_lock_head``, which checks the tenant.
- ``audit_refusal_tallies``: how often a principal was refused an operation for a reason
  in the current minute, counted by ``hrvault_tally_refusal`` (the only way in), so a
  flood of refusals chains one record per minute and carries the count of the others.
- ``staff_audit_log`` becomes a hash chain per staff member like the tenants' chains:
  ``seq`` (the identity) is renamed ``id``; ``seq``, ``format_version``, ``prev_hash`` and
  ``hash`` are added and existing records are chained in their order; heads in
  ``staff_audit_heads``, moved the same way.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import text

from hrvault.audit.staff_chain import staff_material, staff_record_hash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
AUDIT_TABLES = ("audit_log", "audit_heads", "audit_checkpoints", "staff_audit_log")
STAFF_ID = "NULLIF(current_setting('hrvault.staff_id', true), '')::uuid"
GENESIS = "'\\x" + "00" * 32 + "'::bytea"
DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public"


def upgrade() -> None:
    for table in AUDIT_TABLES:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")
    _tenant_heads()
    _refusal_tallies()
    _staff_chain()


def _tenant_heads() -> None:
    op.execute(
        f"""
        CREATE FUNCTION hrvault_audit_lock_head(p_tenant uuid)
        RETURNS TABLE (head_seq bigint, head_hash bytea) {DEFINER} AS $$
        BEGIN
          IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM hrvault_current_tenant() THEN
            RAISE EXCEPTION 'only the bound tenant''s chain head can be locked'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY SELECT h.seq, h.hash FROM audit_heads h
            WHERE h.tenant_id = p_tenant FOR UPDATE;
          IF NOT FOUND THEN
            INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (p_tenant, 0, {GENESIS})
              ON CONFLICT DO NOTHING;
            RETURN QUERY SELECT h.seq, h.hash FROM audit_heads h
              WHERE h.tenant_id = p_tenant FOR UPDATE;
          END IF;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION hrvault_audit_advance_head() RETURNS trigger {DEFINER} AS $$
        BEGIN
          UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash
            WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'audit record % does not extend its chain head', NEW.seq
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER advance_head BEFORE INSERT ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION hrvault_audit_advance_head()"
    )
    _only_the_app_may_call("hrvault_audit_lock_head(uuid)")


def _refusal_tallies() -> None:
    op.execute(
        """
        CREATE TABLE audit_refusal_tallies (
          tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
          actor varchar(100) NOT NULL,
          operation varchar(64) NOT NULL,
          reason varchar(120) NOT NULL,
          minute timestamptz NOT NULL,
          unrecorded bigint NOT NULL,
          CONSTRAINT pk_audit_refusal_tallies PRIMARY KEY (tenant_id, actor, operation, reason)
        )
        """
    )
    op.execute("ALTER TABLE audit_refusal_tallies ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_refusal_tallies FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON audit_refusal_tallies"
        " USING (tenant_id = hrvault_current_tenant())"
        " WITH CHECK (tenant_id = hrvault_current_tenant())"
    )
    # NULL: counted in its minute, nothing to chain. A number: the first refusal of a new
    # minute, to be chained with that many refusals that had no record of their own.
    op.execute(
        f"""
        CREATE FUNCTION hrvault_tally_refusal(
          p_tenant uuid, p_actor text, p_operation text, p_reason text, p_minute timestamptz
        ) RETURNS bigint {DEFINER} AS $$
        DECLARE
          last_minute timestamptz;
          pending bigint;
        BEGIN
          IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM hrvault_current_tenant() THEN
            RAISE EXCEPTION 'only the bound tenant''s refusals can be counted'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          LOOP
            SELECT t.minute, t.unrecorded INTO last_minute, pending FROM audit_refusal_tallies t
              WHERE t.tenant_id = p_tenant AND t.actor = p_actor
                AND t.operation = p_operation AND t.reason = p_reason
              FOR UPDATE;
            IF NOT FOUND THEN
              INSERT INTO audit_refusal_tallies VALUES
                (p_tenant, p_actor, p_operation, p_reason, p_minute, 0) ON CONFLICT DO NOTHING;
              IF FOUND THEN
                RETURN 0;
              END IF;
              CONTINUE;
            END IF;
            IF p_minute > last_minute THEN
              UPDATE audit_refusal_tallies SET minute = p_minute, unrecorded = 0
                WHERE tenant_id = p_tenant AND actor = p_actor
                  AND operation = p_operation AND reason = p_reason;
              RETURN pending;
            END IF;
            UPDATE audit_refusal_tallies SET unrecorded = pending + 1
              WHERE tenant_id = p_tenant AND actor = p_actor
                AND operation = p_operation AND reason = p_reason;
            RETURN NULL;
          END LOOP;
        END $$
        """
    )
    _only_the_app_may_call("hrvault_tally_refusal(uuid, text, text, text, timestamptz)")


def _staff_chain() -> None:
    op.execute("ALTER TABLE staff_audit_log RENAME COLUMN seq TO id")
    op.execute(
        "ALTER TABLE staff_audit_log ADD COLUMN seq bigint, ADD COLUMN format_version smallint,"
        " ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea"
    )
    op.execute(
        """
        CREATE TABLE staff_audit_heads (
          staff_id uuid PRIMARY KEY REFERENCES support_staff (id) ON DELETE CASCADE,
          seq bigint NOT NULL,
          hash bytea NOT NULL
        )
        """
    )
    for table in ("staff_audit_log", "staff_audit_heads"):
        op.execute(
            f"DO $$ BEGIN EXECUTE format('CREATE POLICY owner_maintenance ON {table} "
            f"FOR SELECT TO %I USING (true)', current_user); END $$"
        )
    op.execute("ALTER TABLE staff_audit_heads ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE staff_audit_heads FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY isolation ON staff_audit_heads"
        f" USING (staff_id = {STAFF_ID}) WITH CHECK (staff_id = {STAFF_ID})"
    )
    op.execute(f"GRANT SELECT ON staff_audit_heads TO {APP_ROLE}")
    _chain_existing_staff_records()
    op.execute(
        "ALTER TABLE staff_audit_log ALTER COLUMN seq SET NOT NULL,"
        " ALTER COLUMN format_version SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,"
        " ALTER COLUMN hash SET NOT NULL,"
        " ADD CONSTRAINT uq_staff_audit_log_staff_seq UNIQUE (staff_id, seq)"
    )
    op.execute(
        f"""
        CREATE FUNCTION hrvault_staff_audit_lock_head(p_staff uuid)
        RETURNS TABLE (head_seq bigint, head_hash bytea) {DEFINER} AS $$
        BEGIN
          IF p_staff IS NULL OR p_staff IS DISTINCT FROM {STAFF_ID} THEN
            RAISE EXCEPTION 'only the named staff member''s chain head can be locked'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY SELECT h.seq, h.hash FROM staff_audit_heads h
            WHERE h.staff_id = p_staff FOR UPDATE;
          IF NOT FOUND THEN
            INSERT INTO staff_audit_heads (staff_id, seq, hash) VALUES (p_staff, 0, {GENESIS})
              ON CONFLICT DO NOTHING;
            RETURN QUERY SELECT h.seq, h.hash FROM staff_audit_heads h
              WHERE h.staff_id = p_staff FOR UPDATE;
          END IF;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION hrvault_staff_audit_advance_head() RETURNS trigger {DEFINER} AS $$
        BEGIN
          UPDATE staff_audit_heads SET seq = NEW.seq, hash = NEW.hash
            WHERE staff_id = NEW.staff_id AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'staff audit record % does not extend its chain head', NEW.seq
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER advance_head BEFORE INSERT ON staff_audit_log"
        " FOR EACH ROW EXECUTE FUNCTION hrvault_staff_audit_advance_head()"
    )
    _only_the_app_may_call("hrvault_staff_audit_lock_head(uuid)")


def _chain_existing_staff_records() -> None:
    """Chain each staff member's records in the order they were written (format 1)."""
    bind = op.get_bind()
    op.execute("ALTER TABLE staff_audit_log DISABLE TRIGGER append_only")
    rows = bind.execute(
        text(
            "SELECT id, staff_id, occurred_at, action, actor_kind, actor_name, request_id,"
            " client_ip, details FROM staff_audit_log ORDER BY staff_id, id"
        )
    ).mappings()
    heads: dict[Any, tuple[int, bytes]] = {}
    for row in list(rows):
        staff_id = row["staff_id"]
        seq, prev = heads.get(staff_id, (0, bytes(32)))
        record = {**row, "seq": seq + 1, "format_version": 1, "prev_hash": prev}
        digest = staff_record_hash(staff_material(record))
        bind.execute(text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)})
        bind.execute(
            text(
                "UPDATE staff_audit_log SET seq = :seq, format_version = 1, prev_hash = :prev,"
                " hash = :hash WHERE id = :id"
            ),
            {"seq": seq + 1, "prev": prev, "hash": digest, "id": row["id"]},
        )
        heads[staff_id] = (seq + 1, digest)
    for staff_id, (seq, digest) in heads.items():
        bind.execute(text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)})
        bind.execute(
            text("INSERT INTO staff_audit_heads (staff_id, seq, hash) VALUES (:s, :seq, :hash)"),
            {"s": staff_id, "seq": seq, "hash": digest},
        )
    bind.execute(text("SELECT set_config('hrvault.staff_id', '', true)"))
    op.execute("ALTER TABLE staff_audit_log ENABLE TRIGGER append_only")


def _only_the_app_may_call(signature: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    for signature in (
        "hrvault_staff_audit_lock_head(uuid)",
        "hrvault_tally_refusal(uuid, text, text, text, timestamptz)",
        "hrvault_audit_lock_head(uuid)",
    ):
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP TRIGGER advance_head ON staff_audit_log")
    op.execute("DROP FUNCTION hrvault_staff_audit_advance_head()")
    op.execute("DROP TRIGGER advance_head ON audit_log")
    op.execute("DROP FUNCTION hrvault_audit_advance_head()")
    op.execute("DROP TABLE audit_refusal_tallies")
    op.execute("DROP TABLE staff_audit_heads")
    op.execute("DROP POLICY owner_maintenance ON staff_audit_log")
    op.execute(
        "ALTER TABLE staff_audit_log DROP CONSTRAINT uq_staff_audit_log_staff_seq,"
        " DROP COLUMN seq, DROP COLUMN format_version, DROP COLUMN prev_hash, DROP COLUMN hash"
    )
    op.execute("ALTER TABLE staff_audit_log RENAME COLUMN id TO seq")
    op.execute(f"GRANT UPDATE ON audit_heads TO {APP_ROLE}")
