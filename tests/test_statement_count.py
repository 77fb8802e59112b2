"""Lists load their relations in batches: the statement count does not grow with the page.

The counts themselves are pinned too: a statement more per request is a cost every
request pays, so it should be a decision, not an accident.
"""

from __future__ import annotations

import pytest

from tests.support import Api, StatementCounter, TenantFactory

NESTED = "query($n: Int!) { employees(first: $n) { nodes { name manager { name } department { name } } } }"
EVERYTHING = """query($n: Int!) { employees(first: $n) { nodes {
  name employeeNumber workEmail status jobTitle
  job { title department { name parent { name } } office { name } }
  manager { name manager { name } } office { timezone } directReports { name }
  jobHistory { title } reportingLines { manager { name } } employments { ftePercent }
  absences { status absenceType { name } }
} pageInfo { hasNextPage endCursor } } }"""

# Every request of a signed-in user: one statement binds the tenant, checks the session
# (touching it at most once a minute) and reads the policy version; the compiled policy
# is read only when that version or the user's roles are new to the process.
AUTHENTICATION = ("SELECT * FROM hrvault_authenticate(",)
POLICY = "SELECT roles.id, roles.name, "


@pytest.mark.parametrize(
    ("document", "expected"),
    # nested: the page, current jobs, current managers, departments (every manager is on
    # the page, so none is fetched again); everything adds direct reports, the four
    # histories and offices (the tenant has no absences, so no absence types).
    [(NESTED, len(AUTHENTICATION) + 4), (EVERYTHING, len(AUTHENTICATION) + 10)],
    ids=["nested", "everything"],
)
async def test_statement_count_is_constant_across_page_sizes(
    api: Api, tenants: TenantFactory, statements: StatementCounter, document: str, expected: int
) -> None:
    tenant = await tenants.create(employees=120)
    await api.data(document, {"n": 1}, token=tenant.token)  # the policy, compiled once
    counts = {}
    for size in (1, 10, 100):
        statements.reset()
        data = await api.data(document, {"n": size}, token=tenant.token)
        assert len(data["employees"]["nodes"]) == size
        counts[size] = statements.count
    assert counts[1] == counts[10] == counts[100], counts
    assert counts[100] == expected, "\n".join(statements.statements)


async def test_authentication_takes_one_statement_and_the_policy_one_more_when_new(
    api: Api, tenants: TenantFactory, statements: StatementCounter
) -> None:
    tenant = await tenants.create(employees=1)
    sent = []
    for _ in range(2):
        statements.reset()
        await api.data("{ departments { name } }", token=tenant.token)
        sent.append([" ".join(statement.split()) for statement in statements.statements])
    first, second = sent
    assert first[0].startswith(AUTHENTICATION[0]), first
    assert first[1].startswith(POLICY), first
    assert len(first) == len(AUTHENTICATION) + 2, first
    assert second[0].startswith(AUTHENTICATION[0]), second
    assert len(second) == len(AUTHENTICATION) + 1, second
