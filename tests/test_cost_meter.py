"""Every list counts at its bound: costly documents are refused before any SQL, lists never
return more than their bound, and one failing batch is one error."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import strawberry
from graphql import GraphQLList, GraphQLObjectType, get_nullable_type

from hrvault.db import bind_tenant, session_factory
from hrvault.models import Role
from hrvault.permissions.membership import assign_role
from hrvault.resolvers.loaders import Loaders
from hrvault.schema.bounds import (
    PAGE_SIZE_ARGUMENT,
    UnboundedListError,
    capped,
    list_bounds,
)
from hrvault.schema.build import build_schema
from tests.support import Api, StatementCounter, TenantFactory, error_codes

# Accepted on main (lists without `first:` counted 1): each manager/directReports round
# trip multiplies the rows by the team size, within the depth limit.
CYCLE = """{ employees(first: 100) { nodes { name manager { name directReports { name
  manager { name directReports { name manager { name directReports { name } } } } } } } } }"""


def reports(levels: int, page: str = "") -> str:
    """``levels`` of directReports from the caller's own record (the CEO's, here)."""
    inner = "name"
    for _ in range(levels):
        inner = f"name directReports{page} {{ {inner} }}"
    return "{ me { employee { " + inner + " } } }"


async def statements_of(api: Api, statements: StatementCounter, document: str, token: str) -> Any:
    statements.reset()
    body = await api.gql(document, token=token)
    return body, list(statements.statements)


async def test_the_manager_cycle_is_refused_before_any_statement(
    api: Api, tenants: TenantFactory, statements: StatementCounter
) -> None:
    tenant = await tenants.create(employees=4)
    await api.gql("{ __typename }", token=tenant.token)
    _, baseline = await statements_of(api, statements, "{ __typename }", tenant.token)
    body, sent = await statements_of(api, statements, CYCLE, tenant.token)
    assert error_codes(body) == ["COST_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["cost"] > body["errors"][0]["extensions"]["limit"]
    assert body.get("data") is None
    assert sent == baseline  # signing in and the transaction, nothing of the document


async def test_six_levels_of_reports_are_refused_unless_each_asks_for_few(
    api: Api, tenants: TenantFactory, statements: StatementCounter
) -> None:
    tenant = await tenants.create(employees=4)
    await api.gql("{ __typename }", token=tenant.token)
    _, baseline = await statements_of(api, statements, "{ __typename }", tenant.token)
    body, sent = await statements_of(api, statements, reports(6), tenant.token)
    assert error_codes(body) == ["COST_LIMIT_EXCEEDED"]
    assert sent == baseline
    answer = await api.data(reports(6, "(first: 3)"), token=tenant.token)
    first_level = answer["me"]["employee"]["directReports"]
    assert len(first_level) == 3
    assert all(person["directReports"] == [] for person in first_level)


@pytest.mark.parametrize(
    "document",
    [
        "{ employees(first: 100) { nodes { directReports { directReports { name } } } } }",
        "{ employees(first: 100) { nodes { ...R } } }"
        " fragment R on Employee { directReports { directReports { name } } }",
        "{ employees(first: 100) { nodes { ... on Employee { directReports {"
        " ... on Employee { directReports { name } } } } } } }",
        "{ employees(first: 100) { nodes { a: directReports { b: directReports { name } } } } }",
    ],
    ids=["plain", "fragment", "inline-fragments", "aliases"],
)
async def test_fragments_inline_fragments_and_aliases_count_like_fields(
    api: Api, tenants: TenantFactory, document: str
) -> None:
    tenant = await tenants.create(employees=2)
    body = await api.gql(document, token=tenant.token)
    assert error_codes(body) == ["COST_LIMIT_EXCEEDED"]
    # employees + 100 x (nodes + directReports + 20 x (directReports + 20 x name))
    assert body["errors"][0]["extensions"]["cost"] == 1 + 100 * (1 + 1 + 20 * (1 + 20))


async def test_a_paged_list_returns_at_most_first_and_says_it_was_cut(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=4)  # the user's employee manages the other 3
    query = "query($n: Int!) { me { employee { directReports(first: $n) { id } } } }"
    body = await api.gql(query, {"n": 2}, token=tenant.token)
    assert len(body["data"]["me"]["employee"]["directReports"]) == 2
    assert body["extensions"]["truncated"] == [["me", "employee", "directReports"]]
    whole = await api.gql(query, {"n": 3}, token=tenant.token)
    assert len(whole["data"]["me"]["employee"]["directReports"]) == 3
    assert "truncated" not in whole.get("extensions", {})
    assert error_codes(await api.gql(query, {"n": 101}, token=tenant.token)) == ["BAD_USER_INPUT"]


async def test_a_capped_list_never_returns_more_than_its_cap(
    api: Api, tenants: TenantFactory
) -> None:
    """``me.roles`` shows at most 10 roles (caps.ROLES_OF_USER); this user holds 13."""
    tenant = await tenants.create(employees=1)
    now = tenants.clock.now()
    async with session_factory(tenants.engine)() as db:
        await bind_tenant(db, tenant.id)
        for index in range(12):
            role = Role(id=uuid.uuid4(), tenant_id=tenant.id, name=f"Extra {index}")
            role.stamp_created(None, now)
            db.add(role)
            await db.flush()
            await assign_role(db, tenant.id, tenant.user_id, role.id, actor_id=None, now=now)
        await db.commit()
    body = await api.gql("{ me { roles { id } } }", token=tenant.token)
    assert len(body["data"]["me"]["roles"]) == 10
    assert body["extensions"]["truncated"] == [["me", "roles"]]


async def test_one_failing_batch_is_one_error_not_one_per_field(
    api: Api, tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await tenants.create(employees=5)

    async def failing(self: Loaders, manager_ids: list[uuid.UUID]) -> list[Any]:
        raise RuntimeError("statement text " * 50_000)  # as long as a 70,000-key statement

    monkeypatch.setattr(Loaders, "_direct_reports", failing)
    response = await api.client.post(
        "/graphql",
        json={"query": "{ employees(first: 10) { nodes { name directReports { name } } } }"},
        headers={"authorization": f"Bearer {tenant.token}"},
    )
    body = response.json()
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]  # five fields, one batch, one error
    assert [node["directReports"] for node in body["data"]["employees"]["nodes"]] == [None] * 5
    assert len(response.content) < 10_000  # no copy of the cause's text, let alone five


def test_every_list_field_of_the_schema_declares_its_bound() -> None:
    schema = build_schema()
    bounds = list_bounds(schema)
    lists = [
        (type_name, field_name)
        for type_name, graphql_type in schema._schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for field_name, field in graphql_type.fields.items()
        if isinstance(get_nullable_type(field.type), GraphQLList)
        or PAGE_SIZE_ARGUMENT in field.args
    ]
    assert len(lists) > 40
    assert [where for where in lists if where not in bounds] == []


def test_a_list_field_without_a_bound_stops_the_schema_build() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def everyone(self) -> list[str]:
            return []

        @strawberry.field(metadata=capped(3))
        def three(self) -> list[str]:
            return []

        @strawberry.field(metadata=capped(3))
        def paged_but_capped(self, first: int = 3) -> list[str]:
            return []

    with pytest.raises(UnboundedListError) as refused:
        list_bounds(strawberry.Schema(query=Query))
    assert "Query.everyone" in str(refused.value)
    assert "Query.pagedButCapped" in str(refused.value)
    assert "Query.three" not in str(refused.value)
