"""request fixed cost

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

What every authenticated request pays before its own reads (issue 21), cut to one round
trip:

- ``tenants.policy_version``: bumped, in the writing transaction, by a trigger on every
  insert, update or delete of ``roles``, ``role_grants``, ``role_abilities`` and
  ``user_roles``, whichever path writes them. A process may keep a compiled policy
  between requests only under the version it read in the request's own transaction, so
  a change made anywhere applies to the very next request everywhere.
- ``hrvault_authenticate``: binds the transaction to the token's tenant, reads the
  session (live or not), its user's roles and the policy version, and writes last-seen
  only when the stored one is stale by more than a tenth of the idle timeout (at most a
  minute), and brings the tenant's placements up to date for the day (migration 0014). Concurrent requests of one session skip the row another one is touching
  instead of queueing behind its lock.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

POLICY_TABLES = ("roles", "role_grants", "role_abilities", "user_roles")


def upgrade() -> None:
    op.execute("ALTER TABLE tenants ADD COLUMN policy_version bigint NOT NULL DEFAULT 0")
    op.execute(
        """
        CREATE FUNCTION hrvault_bump_policy_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          -- A row moved between tenants would change both; rows never move, but a bump
          -- too many costs nothing.
          IF TG_OP <> 'INSERT' THEN
            UPDATE tenants SET policy_version = policy_version + 1 WHERE id = OLD.tenant_id;
          END IF;
          IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.tenant_id <> OLD.tenant_id) THEN
            UPDATE tenants SET policy_version = policy_version + 1 WHERE id = NEW.tenant_id;
          END IF;
          RETURN NULL;
        END $$
        """
    )
    for table in POLICY_TABLES:
        op.execute(
            f"CREATE TRIGGER bump_policy_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hrvault_bump_policy_version()"
        )
    op.execute(
        """
        CREATE FUNCTION hrvault_authenticate(
          p_tenant uuid, p_token_hash bytea, p_now timestamptz, p_pending_since timestamptz
        )
        RETURNS TABLE (
          session_id uuid, user_id uuid, employee_id uuid, stage varchar, stepped_up_at
          timestamptz, step_up_window_seconds integer, ends_at timestamptz, display_name
          text, live boolean, policy_version bigint, role_ids uuid[]
        )
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
        #variable_conflict use_column
        BEGIN
          -- Bound first, in its own statement: row-level security reads it below.
          PERFORM set_config('hrvault.tenant_id', p_tenant::text, true);
          RETURN QUERY
            SELECT s.id, s.user_id, u.employee_id, s.stage, s.stepped_up_at,
                   t.step_up_window_seconds,
                   s.created_at + make_interval(secs => t.absolute_lifetime_seconds),
                   COALESCE((SELECT COALESCE(e.preferred_name, e.first_name) || ' ' || e.last_name
                               FROM employees AS e
                              WHERE e.tenant_id = s.tenant_id AND e.id = u.employee_id),
                            u.email)::text,
                   COALESCE(u.is_active, false)
                     AND s.last_seen_at > p_now - make_interval(secs => t.idle_timeout_seconds)
                     AND s.created_at
                         > p_now - make_interval(secs => t.absolute_lifetime_seconds)
                     AND (s.stage <> 'totp_pending' OR s.created_at > p_pending_since),
                   t.policy_version,
                   ARRAY(SELECT r.role_id FROM user_roles AS r
                          WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id
                          ORDER BY r.role_id)
              FROM sessions AS s
              JOIN tenants AS t ON t.id = s.tenant_id
              LEFT JOIN users AS u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
             WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL;
          -- Where people stand today, for the session's reads and writes (migration 0014);
          -- here rather than in a round trip of its own.
          IF FOUND THEN
            PERFORM hrvault_refresh_placements(p_tenant, (p_now AT TIME ZONE 'UTC')::date);
          END IF;
          -- Last-seen, when stale: a session may then end up to a tenth of its idle
          -- timeout early, never late. A row another request is touching is skipped.
          -- Only a live session's: an ended one is revoked by a transaction of its own
          -- (the audit of its end), which a lock held here would keep waiting.
          UPDATE sessions AS s
             SET last_seen_at = p_now
           WHERE s.tenant_id = p_tenant
             AND s.id = (SELECT x.id
                           FROM sessions AS x
                           JOIN tenants AS t ON t.id = x.tenant_id
                          WHERE x.token_hash = p_token_hash AND x.revoked_at IS NULL
                            AND x.last_seen_at
                                > p_now - make_interval(secs => t.idle_timeout_seconds)
                            AND x.created_at
                                > p_now - make_interval(secs => t.absolute_lifetime_seconds)
                            AND (x.stage <> 'totp_pending' OR x.created_at > p_pending_since)
                            AND EXISTS (SELECT 1 FROM users AS u
                                         WHERE u.tenant_id = x.tenant_id AND u.id = x.user_id
                                           AND u.is_active)
                            AND x.last_seen_at < p_now - LEAST(
                                  interval '60 seconds',
                                  make_interval(secs => t.idle_timeout_seconds / 10.0))
                          FOR UPDATE OF x SKIP LOCKED);
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION hrvault_authenticate(uuid, bytea, timestamptz, timestamptz)")
    for table in POLICY_TABLES:
        op.execute(f"DROP TRIGGER bump_policy_version ON {table}")
    op.execute("DROP FUNCTION hrvault_bump_policy_version()")
    op.execute("ALTER TABLE tenants DROP COLUMN policy_version")
