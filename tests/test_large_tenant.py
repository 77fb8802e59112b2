"""A large tenant: a manager of 40,040 people, bounded batches, scope as a predicate.

The big subtree is seeded with one statement per table (``INSERT ... SELECT`` over
``generate_series``, through row-level security and the placement triggers like any
other write). The smaller tests build their few people through the API.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.db import bind_tenant, session_factory
from hrvault.models import EmployeeCurrent
from hrvault.placement_sweep import refresh_all_tenants
from hrvault.resolvers.batches import MAX_BATCH
from hrvault.resolvers.loaders import Loaders
from hrvault.resolvers.reader import Reader
from tests.support import Api, TenantFactory, TenantHandle, error_codes

LEADS, PER_LEAD = 40, 1000
"""The boss heads 40 leads with 1,000 people each: 40,040 reports, past the 32,767 bind
parameters asyncpg lets one statement carry."""

PAGE = """query($after: String) { employees(first: 50, after: $after) {
  edges { node { id name manager { id } jobTitle } } pageInfo { hasNextPage endCursor } } }"""
PERSON = "md5(CAST(:t AS uuid)::text || n::text)::uuid"


async def seed_tree(
    engine: AsyncEngine, owner_engine: AsyncEngine, tenant: TenantHandle, since: date
) -> uuid.UUID:
    """The boss (under the tenant's first employee), 40 leads under the boss, 1,000 people
    under each lead; person ``n`` has the id ``md5(tenant || n)``. Returns the boss.

    Each table is loaded in a transaction of its own and analysed after it, as a bulk
    load into a new tenant should be: statistics that have never seen the tenant make
    the planner read the next table's placement look-ups as one row each."""
    people = 1 + LEADS + LEADS * PER_LEAD
    boss_of = (
        "CASE WHEN n = 1 THEN CAST(:top AS uuid)"
        f" WHEN n <= {1 + LEADS} THEN md5(CAST(:t AS uuid)::text || '1')::uuid"
        f" ELSE md5(CAST(:t AS uuid)::text || (2 + n % {LEADS})::text)::uuid END"
    )
    values = {"t": tenant.id, "people": people, "since": since}
    loads = [
        (
            "employees",
            (
                text(
                    "INSERT INTO employees (tenant_id, id, employee_number, first_name, last_name,"
                    " status, created_at, updated_at)"
                    f" SELECT CAST(:t AS uuid), {PERSON}, 'B' || lpad(n::text, 6, '0'), 'Big',"
                    " 'Tree ' || lpad(n::text, 6, '0'), 'active', now(), now()"
                    " FROM generate_series(1, :people) AS n"
                ),
                values,
            ),
        ),
        (
            "job_assignments",
            (
                text(
                    "INSERT INTO job_assignments (tenant_id, id, employee_id, title, department_id,"
                    " effective_from, created_at, updated_at)"
                    f" SELECT CAST(:t AS uuid), gen_random_uuid(), {PERSON}, 'Tree', :d, :since, now(), now()"
                    " FROM generate_series(1, :people) AS n"
                ),
                values | {"d": tenant.departments["engineering"]},
            ),
        ),
        (
            "reporting_lines",
            (
                text(
                    "INSERT INTO reporting_lines (tenant_id, id, employee_id, manager_id,"
                    " effective_from, created_at, updated_at)"
                    f" SELECT CAST(:t AS uuid), gen_random_uuid(), {PERSON}, {boss_of}, :since, now(), now()"
                    " FROM generate_series(1, :people) AS n"
                ),
                values | {"top": tenant.employees[0]},
            ),
        ),
    ]
    for table, (statement, bound) in loads:
        async with session_factory(engine)() as db:
            await bind_tenant(db, tenant.id)
            await db.execute(statement, bound)
            await db.commit()
        async with owner_engine.connect() as conn:
            await conn.execute(text(f"ANALYZE {table}, employee_current"))
            await conn.commit()
    return uuid.UUID(bytes=hashlib.md5(f"{tenant.id}1".encode()).digest())  # noqa: S324 - an id


class ParameterCounter:
    """The bind parameters of every statement the application role sends (an array
    parameter counts as its elements), while active."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.largest = 0
        self.statements = 0

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
        size = sum(len(v) if isinstance(v, list | tuple) else 1 for v in values)
        self.largest = max(self.largest, size)
        self.statements += 1

    def __enter__(self) -> ParameterCounter:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


@pytest.fixture
def parameters(app_engine: AsyncEngine) -> Iterator[ParameterCounter]:
    with ParameterCounter(app_engine) as counter:
        yield counter


async def test_a_manager_of_40040_people_gets_their_list_and_batches_stay_bounded(
    api: Api, tenants: TenantFactory, app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    owner = await tenants.create(employees=3)
    boss = await seed_tree(
        app_engine, owner_engine, owner, api.clock.now().date() - timedelta(days=30)
    )
    manager = await tenants.add_user(owner, boss, ("manager",))

    seen: list[str] = []
    first = await api.gql(PAGE, {"after": None}, token=manager.token)
    assert error_codes(first) == []
    seen += [edge["node"]["id"] for edge in first["data"]["employees"]["edges"]]
    assert len(seen) == 50
    assert first["data"]["employees"]["pageInfo"]["hasNextPage"]
    # Keyset pages further on; nobody outside the subtree ever shows.
    after = first["data"]["employees"]["pageInfo"]["endCursor"]
    second = await api.data(PAGE, {"after": after}, token=manager.token)
    seen += [edge["node"]["id"] for edge in second["employees"]["edges"]]
    assert len(set(seen)) == 100
    assert not {str(e) for e in owner.employees} & set(seen)
    assert str(boss) not in seen  # the Manager role reaches reports, not oneself

    me = await api.data("{ me { userId displayName } }", token=manager.token)
    assert me["me"]["userId"] == manager.user_id


async def test_every_loader_batch_is_bounded_and_one_parameter_carries_the_keys(
    tenants: TenantFactory,
    app_engine: AsyncEngine,
    api: Api,
    parameters: ParameterCounter,
    owner_engine: AsyncEngine,
) -> None:
    owner = await tenants.create(employees=2)
    await seed_tree(app_engine, owner_engine, owner, api.clock.now().date() - timedelta(days=30))
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, owner.id)
        ids = list(
            await db.scalars(
                select(EmployeeCurrent.employee_id).where(EmployeeCurrent.tenant_id == owner.id)
            )
        )
        assert len(ids) > 2 * MAX_BATCH
        loaders = Loaders(Reader(db), owner.id)
        parameters.largest = parameters.statements = 0
        found = await loaders.employee.load_many(ids)
        managers = await loaders.current_manager_id.load_many(ids)
        jobs = await loaders.current_job.load_many(ids)
        reports = await loaders.direct_reports.load_many(ids)
    assert all(person is not None for person in found)
    assert sum(manager is not None for manager in managers) == len(ids) - 1
    assert all(job is not None and job.title for job in jobs[2:])
    assert sum(len(r) for r in reports) == len(ids) - 1  # everyone but the top has a manager
    batches = -(-len(ids) // MAX_BATCH)
    assert parameters.statements == 4 * batches
    assert parameters.largest <= MAX_BATCH + 1  # the keys and the tenant


LINE = """mutation($e: ID!, $m: ID, $d: Date!) {
  createReportingLine(input: {employee: $e, manager: $m, effectiveFrom: $d}) { id } }"""
JOB = """mutation($e: ID!, $d: Date!, $dep: ID!) {
  createJobAssignment(input: {employee: $e, title: "Moved", effectiveFrom: $d, department: $dep})
  { id } }"""
LIST = "query($f: EmployeeFilter) { employees(first: 100, filter: $f) { nodes { id } } }"


async def placements(engine: AsyncEngine, tenant: TenantHandle) -> dict[uuid.UUID, Any]:
    async with session_factory(engine)() as db:
        await bind_tenant(db, tenant.id)
        rows = await db.scalars(
            select(EmployeeCurrent).where(EmployeeCurrent.tenant_id == tenant.id)
        )
        return {row.employee_id: row for row in rows}


async def listed(api: Api, token: str, where: dict[str, Any] | None = None) -> set[str]:
    data = await api.data(LIST, {"f": where}, token=token)
    return {node["id"] for node in data["employees"]["nodes"]}


async def test_a_managers_scope_follows_current_lines_and_the_table_stays_in_step(
    api: Api, tenants: TenantFactory, app_engine: AsyncEngine
) -> None:
    owner = await tenants.create(employees=6)
    top, boss, direct, below, former, future = owner.employees
    today = api.clock.now().date()
    token = owner.token

    async def line(person: uuid.UUID, manager: uuid.UUID | None, day: date) -> None:
        values = {"e": str(person), "m": str(manager) if manager else None, "d": str(day)}
        await api.data(LINE, values, token=token)

    await line(direct, boss, today - timedelta(days=10))
    await line(below, direct, today - timedelta(days=10))
    await line(former, boss, today - timedelta(days=100))
    await line(former, top, today - timedelta(days=5))  # ended under the boss
    await line(future, boss, today + timedelta(days=10))  # scheduled
    placed = await placements(app_engine, owner)
    assert placed[direct].manager_id == boss
    assert placed[below].managers == [top, boss, direct]
    assert placed[former].manager_id == top
    assert placed[future].manager_id == top
    assert placed[future].valid_until == today + timedelta(days=10)

    manager = await tenants.add_user(owner, boss, ("manager",))
    assert await listed(api, manager.token) == {str(direct), str(below)}

    # A job change is in the table as soon as it is written.
    root = str(owner.departments["root"])
    await api.data(JOB, {"e": str(below), "d": str(today), "dep": root}, token=token)
    assert (await placements(app_engine, owner))[below].department_id == owner.departments["root"]
    assert await listed(api, token, {"department": root}) == {str(top), str(below)}

    # A manager change moves the chains of everyone under the person moved.
    await line(direct, top, today - timedelta(days=1))
    placed = await placements(app_engine, owner)
    assert placed[below].managers == [top, direct]
    assert await listed(api, manager.token) == set()
    await line(direct, boss, today)
    assert await listed(api, manager.token) == {str(direct), str(below)}

    # The scheduled line becomes current on its day, at the first request.
    api.clock.advance(timedelta(days=11))
    token = await api.login(owner.slug, owner.email)
    manager_token = await api.login(owner.slug, manager.email)
    assert await listed(api, manager_token) == {str(direct), str(below), str(future)}
    assert (await placements(app_engine, owner))[future].manager_id == boss

    reports = await api.data(
        f'{{ employee(id: "{boss}") {{ reports(first: 10, depth: 1) {{ nodes {{ id }} }} }} }}',
        token=token,
    )
    assert {n["id"] for n in reports["employee"]["reports"]["nodes"]} == {str(direct), str(future)}
    everyone = await api.data(
        f'{{ employee(id: "{top}") {{ reports(first: 10) {{ nodes {{ id }} }} }} }}', token=token
    )
    assert len(everyone["employee"]["reports"]["nodes"]) == 5


async def test_search_uses_name_words_whole_emails_and_numbers_within_the_callers_reach(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=5)
    token = owner.token
    ids = [str(person) for person in owner.employees]

    async def search(term: str, as_token: str = token) -> set[str]:
        return await listed(api, as_token, {"search": term})

    assert await search("N00003") == {ids[3]}
    assert await search("n00003") == {ids[3]}
    assert await search(f"PERSON4@{owner.slug}.test") == {ids[4]}
    assert await search("last0000") == set(ids)  # a prefix of a word of the name
    assert await search("Last00002 first") == {ids[2]}  # every word, any order
    assert await search("ast0000") == set()  # not inside a word
    assert await search("N0000") == set()  # numbers and e-mails match whole
    assert await search("Zyxw") == set()
    assert await search("%") == set()
    managed = await tenants.create(employees=5, roles=("manager",))
    reports = {str(person) for person in managed.employees[1:]}
    assert await search("last0000", managed.token) == reports  # only whom they may see


async def test_the_sweep_makes_a_scheduled_line_current_without_any_request(
    api: Api, tenants: TenantFactory, app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    owner = await tenants.create(employees=3)
    top, lead, person = owner.employees
    day = api.clock.now().date() + timedelta(days=3)
    values = {"e": str(person), "m": str(lead), "d": str(day)}
    await api.data(LINE, values, token=owner.token)
    assert (await placements(app_engine, owner))[person].manager_id == top

    assert await refresh_all_tenants(owner_engine, day) >= 1
    placed = (await placements(app_engine, owner))[person]
    assert placed.manager_id == lead
    assert placed.managers == [top, lead]
