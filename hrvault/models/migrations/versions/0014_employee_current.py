"""employee_current: where each person stands today, kept by the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Large tenants (issue 22). ``employee_current`` holds per person the current job
assignment, department, office and manager, and the chain of managers above them
(``managers``, top first), each row valid for ``[valid_from, valid_until)``. It is keyed
``(tenant_id, employee_id)``, under forced row-level security like every tenant table,
and the application role may only read it.

It is kept in step inside the transaction that writes the history: statement-level
triggers on ``job_assignments`` and ``reporting_lines`` (insert, update, delete) and on
``employees`` (insert; a deleted person's row goes with them) call ``hrvault_place`` for the people the statement touched, as of
the request's day (``hrvault.today``, else ``current_date``). A person whose manager
changed has the manager chains of everyone under them rewritten in the same call.

A scheduled change becomes current by ``hrvault_refresh_placements(tenant, day)``: it
re-places the people whose row is not valid on that day (an index range on
``valid_until``/``valid_from``; usually none). Every request calls it before reading.

Employees gain the indexes search uses: the words of their names (GIN over a
``simple`` tsvector), their work e-mail and their employee number (both lower-cased).

The functions run as the caller (no SECURITY DEFINER), so row-level security applies to
them as to any statement of the transaction. Existing tenants are backfilled.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APP_ROLE = "hrvault_app"
TODAY = "coalesce(nullif(current_setting('hrvault.today', true), '')::date, current_date)"

# Where each person of a batch stands on the day: their job and primary reporting line in
# force, since when, and the date of their next scheduled change. Two forms of one answer:
# a small batch (a request's write) looks each person up in the history's
# (tenant, employee, date) indexes; a large one (a bulk load, the backfill) reads the
# tenant's history once and joins it by hashing. A look-up per person is a disaster at
# scale when the statistics do not know the tenant yet (a new or freshly loaded one): the
# planner then takes any index on the tenant alone as exact and filters the person out of
# the whole tenant's history, once per person.
STATE_BY_LOOKUP = """
    SELECT e.id AS employee_id, j.id AS job_id, j.department_id, j.office_id, r.manager_id,
           nullif(greatest(coalesce(j.effective_from, '-infinity'),
                           coalesce(r.effective_from, '-infinity')), '-infinity') AS valid_from,
           least((SELECT min(n.effective_from) FROM job_assignments n
                   WHERE n.tenant_id = $1 AND n.employee_id = e.id
                     AND n.effective_from > $2),
                 (SELECT min(n.effective_from) FROM reporting_lines n
                   WHERE n.tenant_id = $1 AND n.employee_id = e.id
                     AND n.effective_from > $2)) AS valid_until
      FROM (SELECT DISTINCT u.id FROM unnest($3) AS u (id)) p
      JOIN employees e ON e.tenant_id = $1 AND e.id = p.id
      LEFT JOIN LATERAL (
        SELECT j.id, j.department_id, j.office_id, j.effective_from FROM job_assignments j
         WHERE j.tenant_id = $1 AND j.employee_id = e.id AND j.effective_from <= $2
         ORDER BY j.effective_from DESC LIMIT 1) j ON true
      LEFT JOIN LATERAL (
        SELECT r.manager_id, r.effective_from FROM reporting_lines r
         WHERE r.tenant_id = $1 AND r.employee_id = e.id AND r.effective_from <= $2
         ORDER BY r.effective_from DESC LIMIT 1) r ON true
"""

STATE_BY_HASHING = """
    WITH p AS (SELECT DISTINCT u.id FROM unnest($3) AS u (id)),
    jobs AS (
      SELECT DISTINCT ON (j.employee_id) j.employee_id, j.id, j.department_id, j.office_id,
             j.effective_from
        FROM job_assignments j JOIN p ON p.id = j.employee_id
       WHERE j.tenant_id = $1 AND j.effective_from <= $2
       ORDER BY j.employee_id, j.effective_from DESC
    ), lines AS (
      SELECT DISTINCT ON (r.employee_id) r.employee_id, r.manager_id, r.effective_from
        FROM reporting_lines r JOIN p ON p.id = r.employee_id
       WHERE r.tenant_id = $1 AND r.effective_from <= $2
       ORDER BY r.employee_id, r.effective_from DESC
    ), next AS (
      SELECT later.employee_id, min(later.effective_from) AS effective_from
        FROM (SELECT employee_id, effective_from FROM job_assignments
               WHERE tenant_id = $1 AND effective_from > $2
              UNION ALL
              SELECT employee_id, effective_from FROM reporting_lines
               WHERE tenant_id = $1 AND effective_from > $2) later
        JOIN p ON p.id = later.employee_id
       GROUP BY later.employee_id
    )
    SELECT e.id AS employee_id, j.id AS job_id, j.department_id, j.office_id, r.manager_id,
           nullif(greatest(coalesce(j.effective_from, '-infinity'),
                           coalesce(r.effective_from, '-infinity')), '-infinity') AS valid_from,
           n.effective_from AS valid_until
      FROM p
      JOIN employees e ON e.tenant_id = $1 AND e.id = p.id
      LEFT JOIN jobs j ON j.employee_id = e.id
      LEFT JOIN lines r ON r.employee_id = e.id
      LEFT JOIN next n ON n.employee_id = e.id
"""

PLACE = (
    """
CREATE FUNCTION hrvault_place(p_tenant uuid, p_day date, p_people uuid[]) RETURNS void
LANGUAGE plpgsql
-- Statements run through EXECUTE, so each is planned for its own batch. A large batch
-- (a bulk load, the backfill) is joined by hashing, never by a loop per person that the
-- statistics, stale in the middle of such a transaction, might make the planner choose.
AS $$
DECLARE
  moved uuid[];
  frontier uuid[];
  steps integer := 0;
  nestloop text := current_setting('enable_nestloop');
  large boolean := cardinality(p_people) > 1000;
BEGIN
  IF large THEN
    PERFORM set_config('enable_nestloop', 'off', true);
  END IF;
  EXECUTE 'WITH state AS ('
    || CASE WHEN large THEN $state$"""
    + STATE_BY_HASHING
    + """$state$
            ELSE $state$"""
    + STATE_BY_LOOKUP
    + """$state$ END
    || $sql$
  ), changed AS (
    SELECT s.employee_id
      FROM state s
      LEFT JOIN employee_current c ON c.tenant_id = $1 AND c.employee_id = s.employee_id
     WHERE c.employee_id IS NULL OR c.manager_id IS DISTINCT FROM s.manager_id
  ), written AS (
    INSERT INTO employee_current AS c (tenant_id, employee_id, job_assignment_id,
        department_id, office_id, manager_id, managers, valid_from, valid_until)
    SELECT $1, s.employee_id, s.job_id, s.department_id, s.office_id, s.manager_id,
           '{}', s.valid_from, s.valid_until
      FROM state s ORDER BY s.employee_id
    ON CONFLICT (tenant_id, employee_id) DO UPDATE
       SET job_assignment_id = excluded.job_assignment_id,
           department_id = excluded.department_id, office_id = excluded.office_id,
           manager_id = excluded.manager_id, valid_from = excluded.valid_from,
           valid_until = excluded.valid_until
  )
  SELECT array_agg(employee_id) FROM changed
  $sql$ INTO moved USING p_tenant, p_day, p_people;
  IF moved IS NULL THEN
    PERFORM set_config('enable_nestloop', nestloop, true);
    RETURN;
  END IF;

  -- The chains of those whose manager changed, then of the people under them, one
  -- level per statement (index look-ups by manager), until no chain changes. A loop in
  -- the reporting lines (refused by the application) ends at the person it reaches again.
  EXECUTE $sql$
  WITH updated AS (
    UPDATE employee_current c
       SET managers = CASE WHEN c.manager_id IS NULL THEN '{}'::uuid[]
                           ELSE coalesce(v.managers, '{}') || c.manager_id END
      FROM (SELECT x.employee_id, m.managers
              FROM unnest($2) AS u (id)
              JOIN employee_current x ON x.tenant_id = $1 AND x.employee_id = u.id
              LEFT JOIN employee_current m
                ON m.tenant_id = $1 AND m.employee_id = x.manager_id) v
     WHERE c.tenant_id = $1 AND c.employee_id = v.employee_id
    RETURNING c.employee_id
  )
  SELECT array_agg(employee_id) FROM updated
  $sql$ INTO frontier USING p_tenant, moved;
  WHILE frontier IS NOT NULL AND steps < 1000 LOOP
    steps := steps + 1;
    EXECUTE $sql$
    WITH updated AS (
      UPDATE employee_current c SET managers = m.managers || m.employee_id
        FROM unnest($2) AS f (id)
        JOIN employee_current m ON m.tenant_id = $1 AND m.employee_id = f.id
       WHERE c.tenant_id = $1 AND c.manager_id = f.id
         AND c.managers IS DISTINCT FROM m.managers || m.employee_id
         AND NOT c.employee_id = ANY (m.managers)
      RETURNING c.employee_id
    )
    SELECT array_agg(employee_id) FROM updated
    $sql$ INTO frontier USING p_tenant, frontier;
  END LOOP;
  PERFORM set_config('enable_nestloop', nestloop, true);
END $$
"""
)

REFRESH = """
CREATE FUNCTION hrvault_refresh_placements(p_tenant uuid, p_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  stale uuid[];
BEGIN
  PERFORM set_config('hrvault.today', p_day::text, true);
  SELECT array_agg(employee_id) INTO stale FROM (
    SELECT employee_id FROM employee_current
     WHERE tenant_id = p_tenant AND valid_until <= p_day
    UNION
    SELECT employee_id FROM employee_current
     WHERE tenant_id = p_tenant AND valid_from > p_day
  ) s;
  IF stale IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM hrvault_place(p_tenant, p_day, stale);
  RETURN cardinality(stale);
END $$
"""

HISTORY_CHANGED = f"""
CREATE FUNCTION hrvault_history_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched record;
BEGIN
  IF TG_OP <> 'DELETE' THEN
    FOR touched IN
      SELECT tenant_id, array_agg(DISTINCT employee_id) AS people FROM new_rows GROUP BY tenant_id
    LOOP
      PERFORM hrvault_place(touched.tenant_id, {TODAY}, touched.people);
    END LOOP;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    FOR touched IN
      SELECT tenant_id, array_agg(DISTINCT employee_id) AS people FROM old_rows GROUP BY tenant_id
    LOOP
      PERFORM hrvault_place(touched.tenant_id, {TODAY}, touched.people);
    END LOOP;
  END IF;
  RETURN NULL;
END $$
"""

PEOPLE_REMOVED = """
CREATE FUNCTION hrvault_people_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM employee_current c USING old_rows o
   WHERE c.tenant_id = o.tenant_id AND c.employee_id = o.id;
  RETURN NULL;
END $$
"""

PEOPLE_ADDED = f"""
CREATE FUNCTION hrvault_people_added() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched record;
BEGIN
  FOR touched IN SELECT tenant_id, array_agg(id) AS people FROM new_rows GROUP BY tenant_id
  LOOP
    PERFORM hrvault_place(touched.tenant_id, {TODAY}, touched.people);
  END LOOP;
  RETURN NULL;
END $$
"""


def _history_triggers(table: str) -> None:
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_place_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            "EXECUTE FUNCTION hrvault_history_changed()"
        )


def _search_indexes() -> None:
    """Search by name words (full-text, ``simple``), whole e-mail and whole number."""
    op.execute(
        "CREATE INDEX ix_employees_name_words ON employees USING gin ("
        "(to_tsvector('simple'::regconfig, first_name::text || ' ' || last_name::text"
        " || ' ' || coalesce(preferred_name::text, ''))))"
    )
    op.execute("CREATE INDEX ix_employees_email ON employees (tenant_id, lower(work_email))")
    op.execute("CREATE INDEX ix_employees_number ON employees (tenant_id, lower(employee_number))")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE employee_current (
          tenant_id uuid NOT NULL,
          employee_id uuid NOT NULL,
          job_assignment_id uuid,
          department_id uuid,
          office_id uuid,
          manager_id uuid,
          managers uuid[] NOT NULL DEFAULT '{}',
          valid_from date,
          valid_until date,
          CONSTRAINT pk_employee_current PRIMARY KEY (tenant_id, employee_id),
          CONSTRAINT fk_employee_current_tenant_id_tenants FOREIGN KEY (tenant_id)
            REFERENCES tenants (id) ON DELETE CASCADE
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_employee_current_manager ON employee_current (tenant_id, manager_id)"
    )
    op.execute(
        "CREATE INDEX ix_employee_current_department ON employee_current (tenant_id, department_id)"
    )
    op.execute("CREATE INDEX ix_employee_current_office ON employee_current (tenant_id, office_id)")
    op.execute("CREATE INDEX ix_employee_current_managers ON employee_current USING gin (managers)")
    op.execute(
        "CREATE INDEX ix_employee_current_valid_until ON employee_current (tenant_id, valid_until)"
        " WHERE valid_until IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_employee_current_valid_from ON employee_current (tenant_id, valid_from)"
        " WHERE valid_from IS NOT NULL"
    )
    op.execute("ALTER TABLE employee_current ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE employee_current FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON employee_current "
        "USING (tenant_id = hrvault_current_tenant()) "
        "WITH CHECK (tenant_id = hrvault_current_tenant())"
    )
    # The triggers write as the caller: the application role writes the table only
    # through them (a statement of its own could, but none does).
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON employee_current TO {APP_ROLE}")
    for function in (PLACE, REFRESH, HISTORY_CHANGED, PEOPLE_ADDED, PEOPLE_REMOVED):
        op.execute(function)
    _history_triggers("job_assignments")
    _history_triggers("reporting_lines")
    op.execute(
        "CREATE TRIGGER employees_place_insert AFTER INSERT ON employees "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION hrvault_people_added()"
    )
    op.execute(
        "CREATE TRIGGER employees_place_delete AFTER DELETE ON employees "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION hrvault_people_removed()"
    )
    _search_indexes()
    op.execute(
        """
        DO $$ DECLARE t uuid; BEGIN
          FOR t IN SELECT id FROM tenants LOOP
            PERFORM set_config('hrvault.tenant_id', t::text, true);
            PERFORM hrvault_place(t, current_date,
                                  ARRAY(SELECT id FROM employees WHERE tenant_id = t));
          END LOOP;
          PERFORM set_config('hrvault.tenant_id', '', true);
        END $$
        """
    )


def downgrade() -> None:
    for index in ("ix_employees_name_words", "ix_employees_email", "ix_employees_number"):
        op.execute(f"DROP INDEX {index}")
    op.execute("DROP TRIGGER employees_place_delete ON employees")
    op.execute("DROP TRIGGER employees_place_insert ON employees")
    for table in ("job_assignments", "reporting_lines"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_place_{event} ON {table}")
    op.execute("DROP FUNCTION hrvault_people_removed()")
    op.execute("DROP FUNCTION hrvault_people_added()")
    op.execute("DROP FUNCTION hrvault_history_changed()")
    op.execute("DROP FUNCTION hrvault_refresh_placements(uuid, date)")
    op.execute("DROP FUNCTION hrvault_place(uuid, date, uuid[])")
    op.execute("DROP TABLE employee_current")
