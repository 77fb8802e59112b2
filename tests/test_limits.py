"""Bounded GraphQL documents: each limit refuses the document before anything executes."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from graphql import get_introspection_query
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema import schema as strawberry_schema

from hrvault.config import GraphQLLimits, Settings
from hrvault.models import Session
from hrvault.resolvers import org
from hrvault.resolvers.context import RequestContext
from tests.conftest import OpenApi
from tests.support import PASSWORD, Api, TenantFactory, error_codes

LOGIN = 'login(tenant: "{slug}", email: "{email}", password: "{password}") {{ token }}'


def managers(levels: int) -> str:
    """A query ``levels`` deep: me > employee > manager > manager > …"""
    chain = "manager { " * (levels - 2) + "name" + " }" * (levels - 2)
    return "{ me { employee { " + chain + " } } }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def fields_per_employee() -> str:
    """Forty-nine fields asked for each employee; with the employee's node, fifty.

    Each of the person's lists asks for one item, so it counts as much as one object.
    """
    return """
      id employeeNumber firstName lastName preferredName name workEmail workPhone status
      version jobTitle
      job { id title effectiveFrom version department { id name version } office { id name } }
      department { id name } office { id name }
      manager { id name manager { id name } }
      directReports(first: 1) { id name } jobHistory(first: 1) { id title }
      employments(first: 1) { id ftePercent } absences(first: 1) { id status }
      reportingLines(first: 1) { id }
    """


COSTLY = "query($n: Int!) { employees(first: $n) { nodes { " + fields_per_employee() + " } } }"
FIVE_THOUSAND = GraphQLLimits(max_cost=5000)


async def test_a_document_at_the_depth_limit_runs_and_one_deeper_is_refused(api: Api) -> None:
    assert error_codes(await api.gql(managers(10))) == ["UNAUTHENTICATED"]  # it ran
    body = await api.gql(managers(11))
    assert error_codes(body) == ["DEPTH_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["limit"] == 10
    assert "data" not in body or body["data"] is None


async def test_aliases_are_limited(api: Api) -> None:
    assert "errors" not in await api.gql(aliases(15))
    assert error_codes(await api.gql(aliases(16))) == ["ALIAS_LIMIT_EXCEEDED"]


async def test_aliases_in_fragments_count_at_every_spread(api: Api) -> None:
    fragment = "fragment F on Query { " + " ".join(f"a{i}: __typename" for i in range(8)) + " }"
    assert "errors" not in await api.gql("{ ...F } " + fragment)
    assert error_codes(await api.gql("{ ...F ...F } " + fragment)) == ["ALIAS_LIMIT_EXCEEDED"]


async def test_tokens_are_limited_while_parsing(api: Api) -> None:
    def fragments(count: int) -> str:
        """2 + 9 x count tokens: a spread is 2, a fragment definition 7."""
        spreads = " ".join(f"...F{i}" for i in range(count))
        definitions = " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(count))
        return "{ " + spreads + " } " + definitions

    assert "errors" not in await api.gql(fragments(222))  # 2,000 tokens
    body = await api.gql(fragments(223))  # 2,009
    assert error_codes(body) == ["TOKEN_LIMIT_EXCEEDED"]


async def test_directives_are_limited(api: Api) -> None:
    def spreads(count: int) -> str:
        return "{ " + "...F @include(if: true) " * count + "} fragment F on Query { __typename }"

    assert "errors" not in await api.gql(spreads(50))
    assert error_codes(await api.gql(spreads(51))) == ["DIRECTIVE_LIMIT_EXCEEDED"]


async def test_the_cost_multiplies_by_the_requested_page_size(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=3)
    # 1 (employees) + n x 50: 2,501 for a page of fifty, 5,001 for a page of a hundred.
    async with open_api(replace(settings, graphql=FIVE_THOUSAND)) as api:
        assert "errors" not in await api.gql(COSTLY, {"n": 50}, token=tenant.token)
        body = await api.gql(COSTLY, {"n": 100}, token=tenant.token)
    assert body["errors"][0]["extensions"] == {
        "code": "COST_LIMIT_EXCEEDED",
        "cost": 5001,
        "limit": 5000,
    }


@pytest.mark.parametrize(
    "document",
    [
        COSTLY.replace("$n: Int!", "$n: Int = 100"),
        COSTLY.replace("query($n: Int!)", "query").replace("$n", "100"),
        COSTLY.replace("query($n: Int!)", "query").replace("(first: $n)", "(first: 500)"),
    ],
    ids=["variable-default", "literal", "over-the-largest-page"],
)
async def test_the_cost_is_checked_before_any_resolver_runs(
    settings: Settings, open_api: OpenApi, document: str
) -> None:
    # Without a session every resolver would answer UNAUTHENTICATED; none gets to.
    async with open_api(replace(settings, graphql=FIVE_THOUSAND)) as api:
        assert error_codes(await api.gql(document)) == ["COST_LIMIT_EXCEEDED"]


async def test_limits_come_from_the_settings(settings: Settings, open_api: OpenApi) -> None:
    tight = replace(settings, graphql=GraphQLLimits(max_depth=3, max_aliases=1, max_cost=2))
    async with open_api(tight) as api:
        assert error_codes(await api.gql(managers(4))) == ["DEPTH_LIMIT_EXCEEDED"]
        assert error_codes(await api.gql(aliases(2))) == ["ALIAS_LIMIT_EXCEEDED"]
        codes = error_codes(await api.gql("{ offices { id name } }"))
        assert codes == ["COST_LIMIT_EXCEEDED"]


async def test_a_fragment_bomb_is_measured_without_expanding_it(api: Api) -> None:
    """Each level spreads the one below twice: 2^40 fields if anything expanded it."""
    levels = ["fragment L0 on Query { a: __typename }"]
    levels += [f"fragment L{i} on Query {{ ...L{i - 1} ...L{i - 1} }}" for i in range(1, 41)]
    body = await api.gql("{ ...L40 } " + " ".join(levels))
    assert error_codes(body) == ["ALIAS_LIMIT_EXCEEDED"]
    assert str(2**40) in body["errors"][0]["message"]


async def test_a_request_may_hold_one_credential_operation(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    login = LOGIN.format(slug=tenant.slug, email=tenant.email, password=PASSWORD)
    documents = [
        f"mutation {{ a: {login} b: {login} }}",
        f"mutation {{ ...L ...L }} fragment L on Mutation {{ {login} }}",
        f"mutation {{ {login} ... on Mutation {{ again: {login} }} }}",
        f"mutation One {{ {login} }} mutation Two {{ {login} }}",
    ]
    async with owner_engine.connect() as conn:
        sessions_before = await conn.scalar(
            select(func.count()).select_from(Session).where(Session.tenant_id == tenant.id)
        )
        for document in documents:
            body = await api.gql(document, {})
            assert "CREDENTIAL_OPERATION_REPEATED" in error_codes(body), document
        sessions_after = await conn.scalar(
            select(func.count()).select_from(Session).where(Session.tenant_id == tenant.id)
        )
    assert sessions_after == sessions_before
    assert "errors" not in await api.gql(f"mutation {{ {login} }}")


async def test_batches_are_refused(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    login = {
        "query": "mutation($t: String!, $e: String!, $p: String!) {"
        " login(tenant: $t, email: $e, password: $p) { token } }",
        "variables": {"t": tenant.slug, "e": tenant.email, "p": "wrong password here"},
    }
    for batch in ([{"query": "{ __typename }"}], [login] * 5):
        response = await api.client.post("/graphql", json=batch)
        assert response.status_code == 400
        assert error_codes(response.json()) == ["BATCH_NOT_ALLOWED"]


async def test_the_validation_cache_still_hits_with_the_limits_on(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    validations = []
    real_validate = strawberry_schema.validate

    def counting_validate(*args: object, **kwargs: object) -> object:
        validations.append(args)
        return real_validate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(strawberry_schema, "validate", counting_validate)
    document = "query ValidatedOnce { a: __typename }"
    for _ in range(3):
        assert "errors" not in await api.gql(document)
    assert len(validations) == 1


async def test_the_development_ide_can_still_introspect(api: Api) -> None:
    body = await api.gql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_request_that_runs_too_long_is_stopped_and_undone(
    api: Api,
    settings: Settings,
    open_api: OpenApi,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = await tenants.create(employees=1)

    async def slow_create(ctx: RequestContext, changes: dict[str, object]) -> object:
        created = await real_create(ctx, changes)
        await ctx.db.execute(text("SELECT pg_sleep(30)"))
        return created

    real_create = org.create_office
    monkeypatch.setattr(org, "create_office", slow_create)
    quick = replace(settings, graphql=GraphQLLimits(timeout_seconds=0.5))
    create = 'mutation { createOffice(input: {name: "Slow", countryCode: "SE", timezone: "UTC"}) { id } }'
    async with open_api(quick) as hasty:
        response = await hasty.post(create, token=tenant.token)
    assert response.status_code == 503
    assert error_codes(response.json()) == ["OPERATION_TIMED_OUT"]
    assert response.headers["retry-after"] == "1"
    monkeypatch.undo()
    # With the default deadline: the stopped transaction may hold its locks a moment more.
    offices = await api.data("{ offices { name } }", token=tenant.token)
    assert {o["name"] for o in offices["offices"]} == {"HQ"}  # the office was not kept
    # The connection was discarded; the server notices within its client check interval
    # and stops the statement (polled, with a generous bound).
    for _ in range(300):
        async with owner_engine.connect() as conn:  # a new statistics snapshot each time
            sleeping = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'"
                )
            )
        if not sleeping:
            break
        await asyncio.sleep(0.1)
    assert sleeping == 0
