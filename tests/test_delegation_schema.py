"""The delegation mark cannot be forgotten, nor be an empty promise.

- A mutation behind an ability over other people's powers that declares no delegation
  fails the schema build, and so does one that declares an act without its enforcement.
- A mutation declared as delegating that returns without asking the rule fails, and its
  transaction rolls back.
- Every mutation of the schema that declares nothing is run for real, and none of them
  writes a power, a consent, a grant, a credential or a safeguard: what a mutation writes,
  not what its author says, decides whether it needs the mark.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission

from hrvault.permissions.access import requires
from hrvault.permissions.delegation import Act
from hrvault.schema import fields
from hrvault.schema.build import build_schema
from hrvault.schema.checks import UndeclaredAccessError, check_declared_delegation
from hrvault.schema.delegating import DELEGATION_KEY, declared_delegation
from hrvault.vocabulary import Ability
from tests.support import Api, StatementCounter, TenantFactory, build_org
from tests.test_audit import Examples

AUTHORITY_TABLES = frozenset(
    {
        "roles",
        "role_grants",
        "role_abilities",
        "user_roles",
        "integrations",
        "partner_tokens",
        "support_grants",
        "document_categories",
        "totp_credentials",
        "recovery_codes",
        "staff_recovery_codes",
    }
)
"""Tables whose rows are powers, consents, grants or second factors."""
SESSION_LIMITS = ("idle_timeout_seconds", "absolute_lifetime_seconds", "step_up_window_seconds")
WRITE = re.compile(r"\b(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)
SET_CLAUSE = re.compile(r"\bSET\b(.*?)(?:\bFROM\b|\bWHERE\b|\bRETURNING\b|$)", re.I | re.S)


def authority_written(statement: str) -> set[str]:
    """The powers, credentials or safeguards a SQL statement writes (touching a session's
    last-seen time is bookkeeping, not a credential)."""
    written = set()
    found = SET_CLAUSE.search(statement)
    assigned = found.group(1) if found else ""
    for verb, table in WRITE.findall(statement):
        updates = verb.upper() == "UPDATE"
        if table in AUTHORITY_TABLES:
            written.add(table)
        elif table == "tenants" and any(limit in assigned for limit in SESSION_LIMITS):
            written.add("tenants (session limits)")
        elif table in ("sessions", "staff_sessions") and (not updates or "revoked_at" in assigned):
            written.add(table)
    return written


SCHEMA = build_schema()
MUTATIONS = SCHEMA._schema.mutation_type.fields  # type: ignore[union-attr]
UNDECLARED = sorted(
    name
    for name, field in MUTATIONS.items()
    if declared_delegation(field.extensions["strawberry-definition"]) is None
)


@pytest.mark.parametrize("mutation", UNDECLARED)
async def test_a_mutation_without_the_mark_writes_no_power_or_credential(
    api: Api, tenants: TenantFactory, statements: StatementCounter, mutation: str
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    people = await build_org(api, tenant)
    example = await Examples(api, tenants, tenant, people).document(mutation)
    document, variables, token = (*example, tenant.token)[:3]
    statements.reset()
    if mutation == "uploadDocument":
        response = await api.upload(
            variables["e"], variables["c"], b"%PDF-1.7 walk", token=token, query=document
        )
    else:
        response = await api.post(document, variables, token=token)
    assert "errors" not in response.json(), response.json()
    written = set().union(*(authority_written(s) for s in statements.statements))
    assert not written, (
        f"{mutation} writes {sorted(written)}: declare delegation=Act... (and ask the rule)"
        " or Exempt... on its field"
    )


def test_the_walk_recognises_what_the_delegating_mutations_write() -> None:
    """The classifier the walk relies on, on the statements those paths really send."""
    assert authority_written("INSERT INTO role_grants (tenant_id) VALUES ($1)") == {"role_grants"}
    assert authority_written("UPDATE tenants SET idle_timeout_seconds=$1") == {
        "tenants (session limits)"
    }
    assert authority_written("UPDATE tenants SET max_document_bytes=$1") == set()
    assert (
        authority_written("UPDATE sessions AS s SET last_seen_at = $1 WHERE s.revoked_at IS NULL")
        == set()
    )
    assert authority_written("UPDATE sessions SET revoked_at=$1") == {"sessions"}


class Anyone(BasePermission):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return True


@strawberry.type
class Probe:
    @strawberry.field(permission_classes=[Anyone])
    def ok(self) -> bool:  # pragma: no cover - never resolved
        return True


@strawberry.type
class Forgetful:
    @fields.mutation(access=Anyone, delegation=Act.HANDS_OUT)
    async def hand_out(self, info: strawberry.Info) -> bool:
        return True

    @fields.mutation(access=Anyone, delegation=Act.ACTS_ON)
    async def asks(self, info: strawberry.Info) -> bool:
        info.context.delegation_checks += 1
        return True


async def test_a_marked_mutation_that_never_asks_the_rule_fails() -> None:
    schema = strawberry.Schema(query=Probe, mutation=Forgetful)
    context = SimpleNamespace(delegation_checks=0)
    forgot = await schema.execute("mutation { handOut }", context_value=context)
    assert forgot.errors is not None
    assert "did not consult the delegation rule" in forgot.errors[0].message
    assert forgot.data is None  # an error in a mutation rolls the request's transaction back
    asked = await schema.execute("mutation { asks }", context_value=context)
    assert asked.errors is None


@strawberry.type
class Undeclared:
    @fields.mutation(access=requires(Ability.MANAGE_ROLES))
    async def grant_everything(self) -> bool:  # pragma: no cover - never resolved
        return True


@strawberry.type
class DeclaredOnly:
    @strawberry.mutation(permission_classes=[Anyone], metadata={DELEGATION_KEY: Act.HANDS_OUT})
    async def hand_out(self) -> bool:  # pragma: no cover - never resolved
        return True


def test_a_mutation_over_powers_without_the_mark_fails_the_build() -> None:
    schema = strawberry.Schema(query=Probe, mutation=Undeclared)
    with pytest.raises(UndeclaredAccessError, match=r"Undeclared\.grantEverything"):
        check_declared_delegation(schema, mutation_type="Undeclared")


def test_a_mark_without_its_enforcement_fails_the_build() -> None:
    schema = strawberry.Schema(query=Probe, mutation=DeclaredOnly)
    with pytest.raises(UndeclaredAccessError, match=r"DeclaredOnly\.handOut: declares hands_out"):
        check_declared_delegation(schema, mutation_type="DeclaredOnly")


def test_the_delegating_mutations_are_the_reviewed_ones() -> None:
    """The reviewable record of which mutations hand out or act on powers (a change here
    is a change of who may do what: review it like the SDL)."""
    declared = {
        name: declared_delegation(field.extensions["strawberry-definition"])
        for name, field in MUTATIONS.items()
    }
    acts = {name: d.value for name, d in declared.items() if isinstance(d, Act)}
    assert acts == {
        "createRole": "hands_out",
        "copyRole": "hands_out",
        "updateRole": "acts_on",
        "deleteRole": "acts_on",
        "assignRole": "hands_out",
        "removeRole": "acts_on",
        "setRoleTotpRequirement": "acts_on",
        "updateSessionSettings": "acts_on",
        "resetTotp": "acts_on",
        "registerIntegration": "hands_out",
        "createPartnerToken": "hands_out",
        "rotatePartnerToken": "hands_out",
        "createSupportGrant": "hands_out",
        "approveSupportRequest": "hands_out",
        "createDocumentCategory": "hands_out",
        "updateDocumentCategory": "hands_out",
        "deleteDocumentCategory": "acts_on",
    }
