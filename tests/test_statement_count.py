"""Lists load their relations in batches: the statement count does not grow with the page."""

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


@pytest.mark.parametrize("document", [NESTED, EVERYTHING], ids=["nested", "everything"])
async def test_statement_count_is_constant_across_page_sizes(
    api: Api, tenants: TenantFactory, statements: StatementCounter, document: str
) -> None:
    tenant = await tenants.create(employees=120)
    counts = {}
    for size in (1, 10, 100):
        statements.reset()
        data = await api.data(document, {"n": size}, token=tenant.token)
        assert len(data["employees"]["nodes"]) == size
        counts[size] = statements.count
    assert counts[1] == counts[10] == counts[100], counts
